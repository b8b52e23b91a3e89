package tracing

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// DefaultServiceName is service.name when neither OTEL_SERVICE_NAME nor
// OTEL_RESOURCE_ATTRIBUTES names the service.
const DefaultServiceName = "mtproxy"

// Provider is the process's TracerProvider, with its lifecycle.
type Provider interface {
	trace.TracerProvider
	// Shutdown flushes the spans still queued and stops exporting; ctx bounds
	// how long it may take. Calling it again does nothing but may return an
	// error.
	Shutdown(ctx context.Context) error
	// Enabled reports whether spans are exported at all. When false the
	// provider is a no-op and callers may skip work done only for spans.
	Enabled() bool
}

// Setup builds the process's TracerProvider from the standard OTEL_*
// environment variables; the package documentation lists them. version
// becomes service.version.
//
// When tracing is off Setup returns a no-op Provider and starts nothing.
// A bad value is an [*EnvError] wrapping [ErrInvalidEnv]. The exporter does
// not connect before its first export.
func Setup(ctx context.Context, version string) (Provider, error) {
	env := getenv(os.Getenv)
	if on, err := enabled(env); err != nil || !on {
		if err != nil {
			return nil, err
		}
		return noopProvider{}, nil
	}
	if err := validate(env); err != nil {
		return nil, err
	}
	res, err := newResource(ctx, version)
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	if protocol := env.otlp("PROTOCOL"); protocol == "" || protocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx) // it reads http/protobuf or http/json itself
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	return sdkProvider{sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exp))}, nil
}

// newResource is the proxy's defaults, the SDK's telemetry.sdk.* attributes,
// then OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, later ones overriding
// earlier ones.
func newResource(ctx context.Context, version string) (*resource.Resource, error) {
	defaults := []attribute.KeyValue{semconv.ServiceName(DefaultServiceName)}
	if version != "" {
		defaults = append(defaults, semconv.ServiceVersion(version))
	}
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(defaults...),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, &EnvError{Name: "OTEL_RESOURCE_ATTRIBUTES", Reason: err.Error()}
	}
	return res, nil
}

// noopProvider is the Provider when tracing is off.
type noopProvider struct{ noop.TracerProvider }

func (noopProvider) Shutdown(context.Context) error { return nil }
func (noopProvider) Enabled() bool                  { return false }

// sdkProvider is the Provider when tracing is on.
type sdkProvider struct{ *sdktrace.TracerProvider }

func (sdkProvider) Enabled() bool { return true }
