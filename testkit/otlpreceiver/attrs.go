package otlpreceiver

import (
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Attrs converts OTLP attributes to a map of plain Go values (see [Value]),
// for assertions. A repeated key keeps its last value.
func Attrs(kvs []*commonpb.KeyValue) map[string]any {
	out := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		out[kv.GetKey()] = Value(kv.GetValue())
	}
	return out
}

// Value converts an OTLP AnyValue to string, bool, int64, float64, []byte,
// []any or map[string]any; an empty value is nil.
func Value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_BytesValue:
		return x.BytesValue
	case *commonpb.AnyValue_ArrayValue:
		vals := x.ArrayValue.GetValues()
		out := make([]any, len(vals))
		for i, e := range vals {
			out[i] = Value(e)
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		return Attrs(x.KvlistValue.GetValues())
	}
	return nil
}

// SpansNamed returns the spans of rss called name, in order.
func SpansNamed(rss []*tracepb.ResourceSpans, name string) []*tracepb.Span {
	var out []*tracepb.Span
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				if s.GetName() == name {
					out = append(out, s)
				}
			}
		}
	}
	return out
}
