package otlpreceiver

import (
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// FuzzUnmarshalJSON checks that arbitrary input never panics the OTLP/JSON
// decoder and that whatever it accepts survives a MarshalJSON round trip.
func FuzzUnmarshalJSON(f *testing.F) {
	f.Add([]byte(jsonVector))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"00","links":[{"span_id":""}]}]}]}]}`))
	if data, err := MarshalJSON(exportRequest(f, "svc", "a")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg := &coltracepb.ExportTraceServiceRequest{}
		if err := UnmarshalJSON(data, msg); err != nil {
			return
		}
		out, err := MarshalJSON(msg)
		if err != nil {
			t.Fatalf("MarshalJSON of an accepted message: %v", err)
		}
		back := &coltracepb.ExportTraceServiceRequest{}
		if err := UnmarshalJSON(out, back); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !proto.Equal(msg, back) {
			t.Fatalf("round trip changed the message:\n%v\n%v", msg, back)
		}
	})
}
