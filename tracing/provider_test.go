package tracing

import (
	"context"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// recorded builds a provider as Setup does, from envMap as the whole
// OTEL_* environment, but with a span recorder in place of the OTLP
// exporter.
func recorded(t *testing.T, envMap map[string]string, version string) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	setEnv(t, envMap)
	res, err := newResource(context.Background(), version)
	if err != nil {
		t.Fatalf("newResource: %v", err)
	}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func resourceAttrs(s sdktrace.ReadOnlySpan) map[attribute.Key]string {
	m := map[attribute.Key]string{}
	for _, kv := range s.Resource().Attributes() {
		m[kv.Key] = kv.Value.String()
	}
	return m
}

func TestResource(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		version string
		want    map[attribute.Key]string
		absent  []attribute.Key
	}{
		{"defaults", nil, "1.2.3", map[attribute.Key]string{
			"service.name": "mtproxy", "service.version": "1.2.3",
			"telemetry.sdk.language": "go", "telemetry.sdk.name": "opentelemetry"}, nil},
		{"no version", nil, "", map[attribute.Key]string{"service.name": "mtproxy"}, []attribute.Key{"service.version"}},
		{"service name variable", map[string]string{"OTEL_SERVICE_NAME": "edge-proxy"}, "1",
			map[attribute.Key]string{"service.name": "edge-proxy", "service.version": "1"}, nil},
		{"resource attributes", map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,service.name=from-attrs,service.version=override"},
			"1", map[attribute.Key]string{"service.name": "from-attrs", "service.version": "override", "deployment.environment.name": "prod"}, nil},
		{"service name variable beats attributes", map[string]string{"OTEL_SERVICE_NAME": "svc",
			"OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,region=eu%2Dwest"},
			"1", map[attribute.Key]string{"service.name": "svc", "region": "eu-west"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := recorded(t, tt.env, tt.version)
			_, span := tp.Tracer("test").Start(context.Background(), "s")
			span.End()
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans recorded", len(spans))
			}
			got := resourceAttrs(spans[0])
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
			for _, k := range tt.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s present: %v", k, got)
				}
			}
			if url := spans[0].Resource().SchemaURL(); url == "" {
				t.Error("resource has no schema URL")
			}
		})
	}
}

// remoteParent returns a context carrying a remote span context with the
// given trace ID and sampled flag.
func remoteParent(t *testing.T, traceID string, sampled bool) context.Context {
	tid, err := trace.TraceIDFromHex(traceID)
	if err != nil {
		t.Fatal(err)
	}
	flags := trace.TraceFlags(0)
	if sampled {
		flags = trace.FlagsSampled
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: flags, Remote: true,
	})
	return trace.ContextWithRemoteSpanContext(context.Background(), sc)
}

func TestSamplers(t *testing.T) {
	// TraceIDRatioBased keeps a trace when the low 8 bytes of its ID,
	// shifted right once, fall below ratio * 2^63: all-zero low bytes are
	// kept by any ratio above zero, all-ones low bytes by none below one.
	const lowTrace, highTrace = "ffffffffffffffff0000000000000000", "0000000000000000ffffffffffffffff"
	tests := []struct {
		name    string
		env     map[string]string
		parent  context.Context
		sampled bool
	}{
		{"default samples a root", nil, context.Background(), true},
		{"default follows an unsampled parent", nil, remoteParent(t, lowTrace, false), false},
		{"default follows a sampled parent", nil, remoteParent(t, highTrace, true), true},
		{"always_off", map[string]string{"OTEL_TRACES_SAMPLER": "always_off"}, context.Background(), false},
		{"always_on ignores an unsampled parent", map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}, remoteParent(t, lowTrace, false), true},
		{"parentbased_always_off drops a root", map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_always_off"}, context.Background(), false},
		{"parentbased_always_off follows a sampled parent", map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_always_off"}, remoteParent(t, lowTrace, true), true},
		{"traceidratio 0", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}, remoteParent(t, lowTrace, true), false},
		{"traceidratio keeps a low trace id", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}, remoteParent(t, lowTrace, false), true},
		{"traceidratio drops a high trace id", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.99"}, remoteParent(t, highTrace, true), false},
		{"parentbased_traceidratio follows a sampled parent", map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}, remoteParent(t, highTrace, true), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, rec := recorded(t, tt.env, "v")
			_, span := tp.Tracer("test").Start(tt.parent, "s")
			if span.SpanContext().IsSampled() != tt.sampled {
				t.Errorf("sampled = %v, want %v", span.SpanContext().IsSampled(), tt.sampled)
			}
			span.End()
			if n := len(rec.Ended()); (n == 1) != tt.sampled {
				t.Errorf("%d spans recorded, sampled %v", n, tt.sampled)
			}
		})
	}
}

func TestSetupOffStartsNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, envMap := range []map[string]string{
		nil,
		{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
		{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
		// Off: the rest of the environment is not examined, so a stale
		// bad value cannot stop the proxy from starting without tracing.
		{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://x", "OTEL_TRACES_SAMPLER": "bogus"},
	} {
		setEnv(t, envMap)
		p, err := Setup(context.Background(), "v")
		if err != nil {
			t.Fatal(err)
		}
		if p.Enabled() {
			t.Fatalf("%v: enabled", envMap)
		}
		_, span := p.Tracer("t").Start(context.Background(), "s")
		if span.IsRecording() || span.SpanContext().IsValid() {
			t.Fatalf("%v: the off provider made a real span", envMap)
		}
		span.End()
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for any goroutine to end (a leak never does) rather than for a
	// fixed time.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines %d -> %d", before, runtime.NumGoroutine())
		}
	}
}

func TestSetupOnAndErrors(t *testing.T) {
	setEnv(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_TIMEOUT": "200"})
	p, err := Setup(context.Background(), "v")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Enabled() {
		t.Fatal("not enabled")
	}
	// Nothing listens on port 1: Shutdown must still come back within its
	// context (a hang fails the test by its -timeout).
	_, span := p.Tracer("t").Start(context.Background(), "s")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.Shutdown(ctx) // the export error, if any, is expected

	for name, envMap := range map[string]map[string]string{
		"OTEL_TRACES_SAMPLER":      {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "sometimes"},
		"OTEL_TRACES_EXPORTER":     {"OTEL_TRACES_EXPORTER": "jaeger"},
		"OTEL_RESOURCE_ATTRIBUTES": {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_RESOURCE_ATTRIBUTES": "a=1,b"},
	} {
		setEnv(t, envMap)
		p, err = Setup(context.Background(), "v")
		if p != nil {
			t.Errorf("%s: a provider with the error %v", name, err)
		}
		checkEnvError(t, err, name, "")
	}
}
