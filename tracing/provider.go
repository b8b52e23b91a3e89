package tracing

import (
	"context"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

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
// environment variables read through getenv (os.Getenv in production); the
// package documentation lists them. version becomes service.version.
//
// Tracing is off unless an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp is set;
// then Setup returns a no-op Provider and starts nothing. Configuration
// errors are [*EnvError]s wrapping [ErrInvalidEnv].
func Setup(ctx context.Context, getenv func(string) string, version string) (Provider, error) {
	cfg, err := readConfig(env(getenv))
	if err != nil {
		return nil, err
	}
	if !cfg.enabled {
		return noopProvider{}, nil
	}
	opts, err := providerOptions(ctx, cfg, version)
	if err != nil {
		return nil, err
	}
	exp, err := newExporter(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts = append(opts, sdktrace.WithBatcher(exp))
	return sdkProvider{sdktrace.NewTracerProvider(opts...)}, nil
}

// providerOptions are the SDK options cfg implies, the span processor aside.
func providerOptions(ctx context.Context, cfg config, version string) ([]sdktrace.TracerProviderOption, error) {
	res, err := newResource(ctx, cfg, version)
	if err != nil {
		return nil, err
	}
	return []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(cfg.sampler.sampler()),
	}, nil
}

// noopProvider is the Provider when tracing is off.
type noopProvider struct{ noop.TracerProvider }

func (noopProvider) Shutdown(context.Context) error { return nil }
func (noopProvider) Enabled() bool                  { return false }

// sdkProvider is the Provider when tracing is on.
type sdkProvider struct{ *sdktrace.TracerProvider }

func (sdkProvider) Enabled() bool { return true }
