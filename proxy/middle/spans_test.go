package middle

import (
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func spanAttr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// Each file load is one "mtproxy.config.refresh" span and each connection
// attempt one "mtproxy.middle.handshake" span, carrying the result; a
// failed attempt's span has an error status.
func TestSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	r := newRig(t, rigOpts{mids: 2, noStart: true, opts: func(o *Options) { o.TracerProvider = tp }})
	r.mids[1].SetMode(fakemiddle.ModeRefuse)
	r.start()
	// A span ends after its attempt is reported to the Observer: wait for
	// the spans themselves.
	eventually(t, "the spans of two connections and a refused attempt", 10*time.Second, func() bool {
		var ok, refused int
		for _, s := range rec.Ended() {
			if s.Name() != "mtproxy.middle.handshake" {
				continue
			}
			switch v, _ := spanAttr(s, "mtproxy.middle.handshake.result"); v.AsString() {
			case "ok":
				ok++
			case "refused":
				refused++
			}
		}
		return ok >= 2 && refused > 0
	})

	results := map[string]map[string]int{}
	for _, s := range rec.Ended() {
		var key string
		switch s.Name() {
		case "mtproxy.config.refresh":
			key = "mtproxy.config.result"
			if v, _ := spanAttr(s, "url.full"); v.AsString() == "" {
				t.Errorf("refresh span without url.full")
			}
		case "mtproxy.middle.handshake":
			key = "mtproxy.middle.handshake.result"
		default:
			continue
		}
		v, ok := spanAttr(s, key)
		if !ok {
			t.Errorf("%s span without %s", s.Name(), key)
			continue
		}
		if results[s.Name()] == nil {
			results[s.Name()] = map[string]int{}
		}
		results[s.Name()][v.AsString()]++
		if failed := v.AsString() != "ok"; failed != (s.Status().Code == codes.Error) {
			t.Errorf("%s span result %s with status %v", s.Name(), v.AsString(), s.Status())
		}
	}
	if got := results["mtproxy.config.refresh"]; got["ok"] != 2 || len(got) != 1 {
		t.Errorf("refresh spans %v, want 2 ok", got)
	}
	if got := results["mtproxy.middle.handshake"]; got["ok"] < 2 || got["refused"] < 1 {
		t.Errorf("handshake spans %v, want ok and refused ones", got)
	}
}
