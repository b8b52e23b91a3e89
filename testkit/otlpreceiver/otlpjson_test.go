package otlpreceiver

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// A hand-written OTLP/JSON body as the specification shows it: hex IDs,
// integer enums, int64 as a string.
const jsonVector = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-svc"}}]},
"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
"parentSpanId":"eee19b7ec3c1b173","name":"GET","kind":2,"startTimeUnixNano":"1544712660000000000",
"endTimeUnixNano":"1544712661000000000","attributes":[{"key":"n","value":{"intValue":"9007199254740993"}}],
"links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"}]}]}]}],"unknownField":1}`

func TestHTTPJSON(t *testing.T) {
	r := Start(t)
	code, msg := post(t, r.HTTPTracesURL(), "application/json; charset=utf-8", "", []byte(jsonVector))
	if code != http.StatusOK || msg != "{}" {
		t.Fatalf("%d %q", code, msg)
	}
	spans := r.Spans()
	if len(spans) != 1 {
		t.Fatalf("spans = %v", spans)
	}
	s := spans[0]
	if !bytes.Equal(s.GetTraceId(), mustHex(t, "5b8efff798038103d269b633813fc60c")) ||
		!bytes.Equal(s.GetSpanId(), mustHex(t, "eee19b7ec3c1b174")) ||
		!bytes.Equal(s.GetParentSpanId(), mustHex(t, "eee19b7ec3c1b173")) {
		t.Errorf("ids = %x %x %x", s.GetTraceId(), s.GetSpanId(), s.GetParentSpanId())
	}
	if !bytes.Equal(s.GetLinks()[0].GetTraceId(), mustHex(t, "0102030405060708090a0b0c0d0e0f10")) ||
		!bytes.Equal(s.GetLinks()[0].GetSpanId(), mustHex(t, "0102030405060708")) {
		t.Errorf("link ids = %x %x", s.GetLinks()[0].GetTraceId(), s.GetLinks()[0].GetSpanId())
	}
	if s.GetKind() != tracepb.Span_SPAN_KIND_SERVER || s.GetStartTimeUnixNano() != 1544712660000000000 {
		t.Errorf("kind %v start %d", s.GetKind(), s.GetStartTimeUnixNano())
	}
	if got := Attrs(s.GetAttributes())["n"]; got != int64(9007199254740993) {
		t.Errorf("int attribute = %v (precision lost?)", got)
	}
	if r.Requests()[0].Protocol != ProtocolHTTPJSON {
		t.Errorf("protocol = %v", r.Requests()[0].Protocol)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	want := exportRequest(t, "svc", "x", "y")
	data, err := MarshalJSON(want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"5b8efff798038103d269b633813fc60c"`) {
		t.Fatalf("trace id not hex in %s", data)
	}
	got := &coltracepb.ExportTraceServiceRequest{}
	if err := UnmarshalJSON(data, got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("round trip: got %v want %v", got, want)
	}
}
