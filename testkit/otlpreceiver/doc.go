// Package otlpreceiver is a small in-process OTLP trace receiver for tests.
//
// It stands where an OpenTelemetry Collector would stand in production: the
// proxy's tracing set-up (package tracing) exports spans to it over OTLP/gRPC
// or OTLP/HTTP, and a test then asserts on what arrived. Both servers listen on
// loopback ports the receiver opens itself, so tests need no fixed ports and
// no outside network:
//
//	r := otlpreceiver.Start(t)
//	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": r.GRPCEndpoint()}
//	... run the code under test, shut its TracerProvider down ...
//	spans, err := r.WaitForSpans(ctx, 1)
//
// The HTTP side serves POST /v1/traces with protobuf (application/x-protobuf)
// or OTLP/JSON (application/json, with hex trace and span IDs as the OTLP
// specification requires), gzip-compressed or not. The gRPC side implements
// opentelemetry.proto.collector.trace.v1.TraceService and accepts gzip.
//
// Every export request is kept whole ([Request]: transport, headers or gRPC
// metadata, and the decoded payload), so tests can check resources, scopes,
// span attributes and the headers an exporter sent. [Receiver.RejectNext]
// makes the next exports fail with a retryable error, to test an exporter's
// retries.
package otlpreceiver
