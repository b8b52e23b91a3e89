package logging

import (
	"context"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// Field names TraceFields uses, as OpenTelemetry's log data model spells them.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// TraceFields returns trace_id and span_id (lower-case hex) of the span in
// ctx, or nothing when ctx has no valid span context (tracing off, or no
// span): a log line is then not cluttered with zero IDs.
func TraceFields(ctx context.Context) []zap.Field {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	return []zap.Field{
		zap.String(TraceIDKey, sc.TraceID().String()),
		zap.String(SpanIDKey, sc.SpanID().String()),
	}
}
