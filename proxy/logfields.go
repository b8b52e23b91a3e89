package proxy

import (
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap/zapcore"
)

// connFields are a connection's log fields: conn_id, with trace_id and
// span_id when its handshake span was sampled; once authenticated also
// secret, dc and transport. Logged with zap.Inline they are one small
// object, which a logger holds for the connection's life and encodes only
// when a line is written.
type connFields struct {
	id     uint64
	ids    *traceIDs // nil when the span is not valid (tracing off)
	secret string
	dc     int
	proto  Protocol
	authed bool // secret, dc and proto are set
}

// traceIDs are a sampled handshake span's ids.
type traceIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

func newConnFields(id uint64, sc trace.SpanContext) *connFields {
	f := &connFields{id: id}
	if sc.IsValid() {
		f.ids = &traceIDs{sc.TraceID(), sc.SpanID()}
	}
	return f
}

// authenticated returns the fields of the session f's connection became:
// a copy, since a logger may have encoded f already.
func (f *connFields) authenticated(secret string, dc int, proto Protocol) *connFields {
	s := *f
	s.secret, s.dc, s.proto, s.authed = secret, dc, proto, true
	return &s
}

func (f *connFields) MarshalLogObject(e zapcore.ObjectEncoder) error {
	e.AddUint64("conn_id", f.id)
	if f.ids != nil {
		e.AddString("trace_id", f.ids.trace.String())
		e.AddString("span_id", f.ids.span.String())
	}
	if f.authed {
		e.AddString("secret", f.secret)
		e.AddInt("dc", f.dc)
		e.AddString("transport", f.proto.String())
	}
	return nil
}
