package proxy

import (
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// A connection's log fields: conn_id, with trace_id and span_id when its
// handshake span was sampled; once authenticated also secret, dc and
// transport.

// connFields are the fields of a connection's logger until it
// authenticates.
func connFields(id uint64, sc trace.SpanContext) []zap.Field {
	f := []zap.Field{zap.Uint64("conn_id", id)}
	if sc.IsValid() {
		f = append(f, zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String()))
	}
	return f
}

// sessionFields are an authenticated connection's fields, in connFields'
// order then secret, dc and transport. Logged with zap.Inline, they are
// one small object that a session's logger holds for the connection's
// whole life and encodes only when a line is written.
type sessionFields struct {
	id     uint64
	ids    *traceIDs // nil when the span is not valid (tracing off)
	secret string
	dc     int
	proto  Protocol
}

// traceIDs are a sampled handshake span's ids.
type traceIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

func newSessionFields(id uint64, sc trace.SpanContext, secret string, dc int, proto Protocol) *sessionFields {
	f := &sessionFields{id: id, secret: secret, dc: dc, proto: proto}
	if sc.IsValid() {
		f.ids = &traceIDs{sc.TraceID(), sc.SpanID()}
	}
	return f
}

func (f *sessionFields) MarshalLogObject(e zapcore.ObjectEncoder) error {
	e.AddUint64("conn_id", f.id)
	if f.ids != nil {
		e.AddString("trace_id", f.ids.trace.String())
		e.AddString("span_id", f.ids.span.String())
	}
	e.AddString("secret", f.secret)
	e.AddInt("dc", f.dc)
	e.AddString("transport", f.proto.String())
	return nil
}
