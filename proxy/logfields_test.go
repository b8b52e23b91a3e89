package proxy_test

import (
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A session's log lines carry the connection's scope: conn_id, secret (its
// label), dc and transport, and nothing of the secret itself. The lines
// of its handshake carry the same conn_id and no session fields. With
// tracing on, both also carry the handshake span's trace_id and span_id.
func TestSessionLogFields(t *testing.T) {
	t.Run("untraced", func(t *testing.T) { checkSessionLogFields(t, false) })
	t.Run("traced", func(t *testing.T) { checkSessionLogFields(t, true) })
}

func checkSessionLogFields(t *testing.T, traced bool) {
	core, logs := observer.New(zapcore.DebugLevel)
	rec := tracetest.NewSpanRecorder()
	f := newFixture(t, with(func(o *proxy.Options) {
		o.Logger = zap.New(core)
		if traced {
			o.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		}
	}))
	c := f.dial(f.clientOpts(client.Padded, 0, 2))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	// The line is written before the session starts, so before the answer.
	lines := logs.FilterMessage("client authenticated").All()
	if len(lines) != 1 {
		t.Fatalf("%d 'client authenticated' lines, want 1", len(lines))
	}
	got := lines[0].ContextMap()
	want := map[string]any{"secret": "alice", "dc": 2, "transport": "padded"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v (%T), want %v; fields %v", k, got[k], got[k], v, got)
		}
	}
	if id, ok := got["conn_id"].(uint64); !ok || id == 0 {
		t.Errorf("conn_id = %v, want a connection id; fields %v", got["conn_id"], got)
	}
	hello := logs.FilterMessage("client connected").All()
	if len(hello) != 1 {
		t.Fatalf("%d 'client connected' lines, want 1", len(hello))
	}
	early := hello[0].ContextMap()
	if early["conn_id"] != got["conn_id"] || early["trace_id"] != got["trace_id"] || early["span_id"] != got["span_id"] {
		t.Errorf("handshake line %v and session line %v name different connections", early, got)
	}
	for _, k := range []string{"secret", "dc", "transport"} {
		if _, ok := early[k]; ok {
			t.Errorf("handshake line has %s before authentication: %v", k, early)
		}
	}
	_, hasTrace := got["trace_id"]
	_, hasSpan := got["span_id"]
	if hasTrace != traced || hasSpan != traced {
		t.Fatalf("traced %v, but trace_id and span_id present: %v, %v", traced, hasTrace, hasSpan)
	}
	if !traced {
		return
	}
	var hs sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == "mtproxy.handshake" {
			hs = s
		}
	}
	if hs == nil {
		t.Fatal("no handshake span")
	}
	if got["trace_id"] != hs.SpanContext().TraceID().String() || got["span_id"] != hs.SpanContext().SpanID().String() {
		t.Errorf("trace_id %v span_id %v, want the handshake span's %v", got["trace_id"], got["span_id"], hs.SpanContext())
	}
}
