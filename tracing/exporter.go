package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// newExporter builds the OTLP exporter cfg asks for. Every setting is passed
// as an explicit option so that it overrides what the exporter would read
// from the process environment, with one exception: otlptracegrpc has no
// option that says "no compression" without logging an error, so with grpc
// and no compression asked for, none is passed. Neither exporter connects
// before its first export.
func newExporter(ctx context.Context, cfg config) (sdktrace.SpanExporter, error) {
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch cfg.protocol {
	case ProtocolGRPC:
		opts := []otlptracegrpc.Option{
			otlptracegrpc.WithEndpointURL(cfg.endpoint),
			otlptracegrpc.WithHeaders(cfg.headers),
			otlptracegrpc.WithTimeout(cfg.timeout),
		}
		if cfg.gzip {
			opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	default:
		compression, encoding := otlptracehttp.NoCompression, otlptracehttp.EncodingProtobuf
		if cfg.gzip {
			compression = otlptracehttp.GzipCompression
		}
		if cfg.protocol == ProtocolHTTPJSON {
			encoding = otlptracehttp.EncodingJSON
		}
		exp, err = otlptracehttp.New(ctx,
			otlptracehttp.WithEndpointURL(cfg.endpoint),
			otlptracehttp.WithHeaders(cfg.headers),
			otlptracehttp.WithTimeout(cfg.timeout),
			otlptracehttp.WithCompression(compression),
			otlptracehttp.WithEncoding(encoding),
		)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP %s exporter: %w", cfg.protocol, err)
	}
	return exp, nil
}
