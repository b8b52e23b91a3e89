// Package tracing builds the proxy's OpenTelemetry TracerProvider from the
// standard OTEL_* environment variables.
//
// The proxy engine traces every client connection with the OpenTelemetry
// trace API only (it never imports the SDK; the attribute helpers it uses are
// in the sub-package spanattr). The binary calls [Setup] once at start-up and
// hands the resulting [Provider] to the engine; at shutdown it calls
// Provider.Shutdown, which flushes the spans still queued.
//
// The OpenTelemetry SDK and its OTLP exporters read the variables themselves.
// This package adds only what they do not do:
//
//   - Tracing is off unless asked for (the specification's default exporter
//     is otlp, which would send to localhost and log failures on a host
//     without a collector): with no OTLP endpoint and no
//     OTEL_TRACES_EXPORTER=otlp, Setup returns a no-op provider and starts
//     nothing. OTEL_SDK_DISABLED=true, which the Go SDK ignores, turns it off.
//   - The exporter follows OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL, grpc when
//     unset: the specification allows grpc as the default for backward
//     compatibility, and deployments of this proxy point at port 4317.
//   - A bad value is a start-up error naming the variable. The SDK would
//     instead log it (sometimes with the value, which may be a credential)
//     and fall back to a default.
//   - service.name defaults to "mtproxy" and service.version is the binary's
//     version; OTEL_RESOURCE_ATTRIBUTES then OTEL_SERVICE_NAME override them.
//
// The variables, all read from the process environment (Setup checks the
// values marked *; the SDK reads them all):
//
//	OTEL_SDK_DISABLED                    * "true" turns tracing off, whatever else is set
//	OTEL_TRACES_EXPORTER                 * otlp (on) or none (off); others are rejected
//	OTEL_EXPORTER_OTLP_ENDPOINT          * http:// or https:// base URL; setting it turns
//	                                       tracing on. HTTP protocols append /v1/traces
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT   * full URL, used as is; wins over the above
//	OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL * grpc (default), http/protobuf or http/json
//	OTEL_EXPORTER_OTLP_[TRACES_]INSECURE * true: plaintext even for an https:// endpoint
//	OTEL_EXPORTER_OTLP_[TRACES_]HEADERS  * key=value,... (values percent-decoded)
//	OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT  * export timeout in milliseconds (default 10000)
//	OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION * gzip or none (default)
//	OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE   CA file for an https:// endpoint
//	OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE  client certificate file (mTLS)
//	OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY          its key file
//	OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG
//	                                     * always_on, always_off, traceidratio,
//	                                     parentbased_always_on (default), parentbased_always_off,
//	                                     parentbased_traceidratio; ARG is the ratio in [0,1] (default 1)
//	OTEL_SERVICE_NAME                    service.name (default "mtproxy")
//	OTEL_RESOURCE_ATTRIBUTES             key=value,... resource attributes (the SDK rejects a bad one)
//	OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT   batch span processor, in milliseconds
//	OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE
//
// A TRACES_ variable wins over its general form. With tracing on and no
// endpoint, the exporters send to localhost:4317 (grpc) or
// localhost:4318/v1/traces (HTTP) over TLS, unless INSECURE is true.
//
// The default sampler is the SDK's own, parentbased_always_on: a connection
// is traced unless an incoming parent says otherwise, which for a proxy whose
// clients send no trace context means every connection. Busy proxies should
// set OTEL_TRACES_SAMPLER=parentbased_traceidratio with a small
// OTEL_TRACES_SAMPLER_ARG.
package tracing
