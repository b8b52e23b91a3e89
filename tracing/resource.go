package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// DefaultServiceName is service.name when neither OTEL_SERVICE_NAME nor
// OTEL_RESOURCE_ATTRIBUTES names the service.
const DefaultServiceName = "mtproxy"

// newResource builds the resource: the proxy's defaults, the SDK's
// telemetry.sdk.* attributes, then OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SERVICE_NAME, later ones overriding earlier ones. It deliberately
// avoids resource.Default and resource.WithFromEnv, which read the process
// environment behind the injected getenv's back.
func newResource(ctx context.Context, cfg config, version string) (*resource.Resource, error) {
	defaults := []attribute.KeyValue{semconv.ServiceName(DefaultServiceName)}
	if version != "" {
		defaults = append(defaults, semconv.ServiceVersion(version))
	}
	fromEnv := make([]attribute.KeyValue, 0, len(cfg.resource)+1)
	for _, kv := range cfg.resource {
		fromEnv = append(fromEnv, attribute.String(kv.key, kv.value))
	}
	if cfg.serviceName != "" {
		fromEnv = append(fromEnv, semconv.ServiceName(cfg.serviceName))
	}
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(defaults...),
		resource.WithTelemetrySDK(),
		resource.WithAttributes(fromEnv...),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return res, nil
}
