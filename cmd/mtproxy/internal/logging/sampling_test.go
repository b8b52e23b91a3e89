package logging

import (
	"context"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

func jsonLogger(t *testing.T, s *sink, clock *fakeClock, p policy) *zap.Logger {
	t.Helper()
	log, err := build(Config{Format: "json", Level: "debug"}, s, false, p, zap.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// TestSamplingPolicy floods the documented policy and counts exactly.
func TestSamplingPolicy(t *testing.T) {
	var s sink
	clock := newFakeClock(time.Unix(1_700_000_000, 0))
	log := jsonLogger(t, &s, clock, defaultPolicy())

	const flood = 10_000
	for i := 0; i < flood; i++ {
		log.Info("handshake failed", zap.Int("i", i))
	}
	// First 10 in full, then entries 1010, 2010, ..., 9010: every 1000th.
	recs := s.records(t)
	wantWritten := SampleFirst + (flood-SampleFirst)/SampleThereafter
	if len(recs) != wantWritten {
		t.Fatalf("%d of %d written, want %d", len(recs), flood, wantWritten)
	}
	for i, r := range recs[:SampleFirst] {
		if r["i"] != float64(i) || r[SampledOutKey] != nil {
			t.Fatalf("record %d: %v", i, r)
		}
	}
	if r := recs[SampleFirst]; r["i"] != float64(SampleFirst+SampleThereafter-1) || r[SampledOutKey] != float64(SampleThereafter-1) {
		t.Fatalf("first sampled record %v", r)
	}

	// A new window writes again at once and says how many were dropped.
	clock.advance(SampleTick)
	log.Info("handshake failed", zap.Int("i", flood))
	recs = s.records(t)
	last := recs[len(recs)-1]
	dropped := flood - wantWritten
	tail := dropped - (wantWritten-SampleFirst)*(SampleThereafter-1)
	if last["i"] != float64(flood) || last[SampledOutKey] != float64(tail) {
		t.Fatalf("after the window: %v, want sampled_out %d", last, tail)
	}
	total := 0
	for _, r := range recs {
		if n, ok := r[SampledOutKey].(float64); ok {
			total += int(n)
		}
	}
	if total != dropped {
		t.Fatalf("sampled_out adds up to %d, dropped %d", total, dropped)
	}
}

func TestSamplingNeverDropsErrors(t *testing.T) {
	var s sink
	clock := newFakeClock(time.Unix(1_700_000_000, 0))
	log := jsonLogger(t, &s, clock, defaultPolicy())
	for i := 0; i < 3000; i++ {
		log.Error("telegram DC unreachable")
		log.Warn("handshake failed")
	}
	errs, warns := 0, 0
	for _, r := range s.records(t) {
		switch r["level"] {
		case "error":
			errs++
			if r[SampledOutKey] != nil {
				t.Fatalf("error entry annotated: %v", r)
			}
		case "warn":
			warns++
		}
	}
	if errs != 3000 {
		t.Fatalf("%d of 3000 errors written", errs)
	}
	if want := SampleFirst + (3000-SampleFirst)/SampleThereafter; warns != want {
		t.Fatalf("%d warnings written, want %d", warns, want)
	}
}

func TestSamplingKeys(t *testing.T) {
	var s sink
	clock := newFakeClock(time.Unix(1_700_000_000, 0))
	p := policy{tick: time.Second, first: 2, thereafter: 1 << 62}
	log := jsonLogger(t, &s, clock, p)
	conn := log.With(zap.String("conn", "c1")).Named("client")
	for i := 0; i < 5; i++ {
		log.Info("a")
		conn.Info("a") // With and Named share the budget of "a"
		log.Info("b")  // another message has its own
		log.Debug("a") // and so has another level
	}
	count := map[string]int{}
	for _, r := range s.records(t) {
		count[r["level"].(string)+" "+r["msg"].(string)]++
	}
	if count["info a"] != 2 || count["info b"] != 2 || count["debug a"] != 2 {
		t.Fatalf("counts %v", count)
	}
}

// TestSamplingConcurrentAccounting logs from many goroutines across several
// windows: whatever interleaving, written entries plus sampled_out must add
// up to everything logged once a last window reports the tail.
func TestSamplingConcurrentAccounting(t *testing.T) {
	var s sink
	clock := newFakeClock(time.Unix(1_700_000_000, 0))
	p := policy{tick: time.Second, first: 5, thereafter: 7}
	log := jsonLogger(t, &s, clock, p)
	const goroutines, each = 8, 2000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if i%500 == 0 {
					clock.advance(300 * time.Millisecond)
				}
				log.Info("flood")
			}
		}()
	}
	wg.Wait()
	clock.advance(time.Second)
	log.Info("flood")

	written, dropped := 0, 0
	for _, r := range s.records(t) {
		written++
		if n, ok := r[SampledOutKey].(float64); ok {
			dropped += int(n)
		}
	}
	if written+dropped != goroutines*each+1 {
		t.Fatalf("written %d + dropped %d != logged %d", written, dropped, goroutines*each+1)
	}
	if written >= goroutines*each/2 {
		t.Fatalf("%d written: the flood was not cut", written)
	}
}

func TestTraceFields(t *testing.T) {
	if f := TraceFields(context.Background()); f != nil {
		t.Fatalf("no span: %v", f)
	}
	_, noopSpan := noop.NewTracerProvider().Tracer("t").Start(context.Background(), "s")
	if f := TraceFields(trace.ContextWithSpan(context.Background(), noopSpan)); f != nil {
		t.Fatalf("no-op span: %v", f)
	}

	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("t").Start(context.Background(), "conn")
	defer span.End()
	sc := span.SpanContext()

	var s sink
	log, err := New(Config{Format: "json"}, &s, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("relay ended", TraceFields(ctx)...)
	r := s.records(t)[0]
	if r[TraceIDKey] != sc.TraceID().String() || r[SpanIDKey] != sc.SpanID().String() {
		t.Fatalf("record %v, span %s/%s", r, sc.TraceID(), sc.SpanID())
	}
	if len(r[TraceIDKey].(string)) != 32 || len(r[SpanIDKey].(string)) != 16 {
		t.Fatalf("ids not hex: %v", r)
	}

	// A remote parent alone (no local span yet) is valid too.
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x0a, 15: 0x01}, SpanID: trace.SpanID{0x0b, 7: 0x02}, Remote: true})
	f := TraceFields(trace.ContextWithRemoteSpanContext(context.Background(), remote))
	if len(f) != 2 || f[0].String != "0a000000000000000000000000000001" || f[1].String != "0b00000000000002" {
		t.Fatalf("remote fields %v", f)
	}
}
