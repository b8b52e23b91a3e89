// Package tracing builds the proxy's OpenTelemetry TracerProvider from the
// standard OTEL_* environment variables.
//
// The proxy engine traces every client connection with the OpenTelemetry
// trace API only (it never imports the SDK; the attribute helpers it uses are
// in the sub-package spanattr). The binary calls [Setup] once at start-up and
// hands the resulting [Provider] to the engine; at shutdown it calls
// Provider.Shutdown, which flushes the spans still queued.
//
// Tracing is off unless asked for: with no OTLP endpoint and no
// OTEL_TRACES_EXPORTER=otlp, Setup returns a no-op provider and starts
// nothing. The variables Setup reads, all through the getenv function it is
// given (os.Getenv in production):
//
//	OTEL_SDK_DISABLED                    "true" turns tracing off, whatever else is set
//	OTEL_TRACES_EXPORTER                 otlp (on) or none (off); others are rejected
//	OTEL_EXPORTER_OTLP_ENDPOINT          base URL; setting it turns tracing on. HTTP
//	                                     protocols append /v1/traces to its path
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT   full URL, used as is; wins over the above
//	OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL grpc (default), http/protobuf or http/json
//	OTEL_EXPORTER_OTLP_[TRACES_]INSECURE "true": plaintext for an endpoint without
//	                                     a scheme (http:// and https:// decide by themselves)
//	OTEL_EXPORTER_OTLP_[TRACES_]HEADERS  key=value,... (values percent-decoded)
//	OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT  export timeout in milliseconds (default 10000)
//	OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION gzip or none (default)
//	OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG
//	                                     always_on, always_off, traceidratio,
//	                                     parentbased_always_on (default), parentbased_always_off,
//	                                     parentbased_traceidratio; ARG is the ratio in [0,1] (default 1)
//	OTEL_SERVICE_NAME                    service.name (default "mtproxy")
//	OTEL_RESOURCE_ATTRIBUTES             key=value,... resource attributes
//
// A TRACES_ variable wins over its general form. With tracing on and no
// endpoint, spans go to http://localhost:4317 (grpc) or
// http://localhost:4318/v1/traces (HTTP), the specification's defaults.
//
// The default sampler is the SDK's own, parentbased_always_on: a connection
// is traced unless an incoming parent says otherwise, which for a proxy whose
// clients send no trace context means every connection. Busy proxies should
// set OTEL_TRACES_SAMPLER=parentbased_traceidratio with a small
// OTEL_TRACES_SAMPLER_ARG.
//
// The SDK reads the OTEL_* variables above from the process environment by
// itself as well. Setup passes them to the SDK as explicit options, which
// win, so the getenv given to Setup is their only source and a bad value is
// a start-up error rather than a silent fallback. (One gap: otlptracegrpc
// has no option for "no compression", so with grpc and compression unset the
// exporter may still pick up OTEL_EXPORTER_OTLP_COMPRESSION from the process
// environment; in production getenv is os.Getenv and the two agree.)
// Tuning knobs that Setup does not handle are still read by the SDK from the
// process environment, with the SDK's defaults: the batch span processor
// (OTEL_BSP_*), span limits (OTEL_SPAN_*_LIMIT and friends) and TLS files
// (OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY).
//
// The resource carries service.name, service.version (the binary's version),
// the telemetry.sdk.* attributes, then OTEL_RESOURCE_ATTRIBUTES, then
// OTEL_SERVICE_NAME, each later one overriding the earlier.
package tracing
