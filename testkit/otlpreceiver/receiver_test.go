package otlpreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func strAttr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// exportRequest builds a request with one resource and the named spans.
func exportRequest(t testing.TB, service string, names ...string) *coltracepb.ExportTraceServiceRequest {
	var spans []*tracepb.Span
	for i, name := range names {
		spans = append(spans, &tracepb.Span{
			TraceId: mustHex(t, "5b8efff798038103d269b633813fc60c"),
			SpanId:  []byte{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, byte(i)},
			Name:    name,
			Kind:    tracepb.Span_SPAN_KIND_SERVER,
		})
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strAttr("service.name", service)}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "test"}, Spans: spans}},
	}}}
}

func grpcClient(t *testing.T, r *Receiver) coltracepb.TraceServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(r.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return coltracepb.NewTraceServiceClient(conn)
}

func post(t *testing.T, url, contentType, encoding string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Token", "abc")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGRPCExportRecordsSpansAndMetadata(t *testing.T) {
	r := Start(t)
	c := grpcClient(t, r)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-token", "secret-ish")
	if _, err := c.Export(ctx, exportRequest(t, "svc", "a", "b"), grpc.UseCompressor(grpcgzip.Name)); err != nil {
		t.Fatalf("Export: %v", err)
	}
	spans, err := r.WaitForSpans(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 || spans[0].GetName() != "a" || spans[1].GetName() != "b" {
		t.Fatalf("spans = %v", spans)
	}
	reqs := r.Requests()
	if len(reqs) != 1 || reqs[0].Protocol != ProtocolGRPC {
		t.Fatalf("requests = %+v", reqs)
	}
	if reqs[0].Encoding != "gzip" {
		t.Errorf("encoding = %q, want gzip", reqs[0].Encoding)
	}
	if got := reqs[0].Header.Get("X-Token"); got != "secret-ish" {
		t.Errorf("metadata x-token = %q", got)
	}
	if got := Attrs(r.ResourceSpans()[0].GetResource().GetAttributes())["service.name"]; got != "svc" {
		t.Errorf("service.name = %v", got)
	}
}

func TestHTTPProtobufPlainAndGzip(t *testing.T) {
	r := Start(t)
	body, err := proto.Marshal(exportRequest(t, "svc", "plain"))
	if err != nil {
		t.Fatal(err)
	}
	if code, msg := post(t, r.HTTPTracesURL(), "application/x-protobuf", "", body); code != http.StatusOK {
		t.Fatalf("plain: %d %s", code, msg)
	}
	body, _ = proto.Marshal(exportRequest(t, "svc", "zipped"))
	if code, msg := post(t, r.HTTPTracesURL(), "application/x-protobuf", "gzip", gzipped(t, body)); code != http.StatusOK {
		t.Fatalf("gzip: %d %s", code, msg)
	}
	spans := r.Spans()
	if len(spans) != 2 || spans[0].GetName() != "plain" || spans[1].GetName() != "zipped" {
		t.Fatalf("spans = %v", spans)
	}
	reqs := r.Requests()
	if reqs[0].Protocol != ProtocolHTTPProtobuf || reqs[0].Header.Get("X-Token") != "abc" || reqs[0].Encoding != "" {
		t.Errorf("request = %+v", reqs[0])
	}
	if reqs[1].Encoding != "gzip" {
		t.Errorf("second request encoding %q", reqs[1].Encoding)
	}
	if !bytes.Equal(spans[0].GetTraceId(), mustHex(t, "5b8efff798038103d269b633813fc60c")) {
		t.Errorf("trace id = %x", spans[0].GetTraceId())
	}
}

func TestHTTPRejectsMalformed(t *testing.T) {
	r := Start(t)
	tests := []struct {
		name, contentType, encoding string
		body                        []byte
		want                        int
	}{
		{"content type", "text/plain", "", []byte("x"), http.StatusUnsupportedMediaType},
		{"no content type", "", "", []byte("x"), http.StatusUnsupportedMediaType},
		{"protobuf garbage", "application/x-protobuf", "", []byte{0xff, 0xff, 0xff}, http.StatusBadRequest},
		{"json garbage", "application/json", "", []byte(`{"resourceSpans":`), http.StatusBadRequest},
		{"json trailing data", "application/json", "", []byte(`{} {}`), http.StatusBadRequest},
		{"json bad hex id", "application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`), http.StatusBadRequest},
		{"json wrong type", "application/json", "", []byte(`{"resourceSpans":5}`), http.StatusBadRequest},
		{"bad gzip", "application/x-protobuf", "gzip", []byte("not gzip"), http.StatusBadRequest},
		{"unknown encoding", "application/x-protobuf", "br", []byte("x"), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, msg := post(t, r.HTTPTracesURL(), tt.contentType, tt.encoding, tt.body); code != tt.want {
				t.Errorf("status %d (%s), want %d", code, msg, tt.want)
			}
		})
	}
	resp, err := http.Get(r.HTTPTracesURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", resp.StatusCode)
	}
	if n := len(r.Requests()); n != 0 {
		t.Errorf("%d malformed requests recorded", n)
	}
}

func TestRejectNext(t *testing.T) {
	r := Start(t)
	r.RejectNext(2)
	c := grpcClient(t, r)
	ctx := context.Background()
	_, err := c.Export(ctx, exportRequest(t, "svc", "rejected"))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("first gRPC export: %v, want UNAVAILABLE", err)
	}
	body, _ := proto.Marshal(exportRequest(t, "svc", "rejected"))
	if code, _ := post(t, r.HTTPTracesURL(), "application/x-protobuf", "", body); code != http.StatusServiceUnavailable {
		t.Fatalf("second export: status %d, want 503", code)
	}
	if _, err := c.Export(ctx, exportRequest(t, "svc", "kept")); err != nil {
		t.Fatalf("third export: %v", err)
	}
	if spans := r.Spans(); len(spans) != 1 || spans[0].GetName() != "kept" {
		t.Fatalf("spans = %v", spans)
	}
	if enc := r.Requests()[0].Encoding; enc != "" {
		t.Errorf("uncompressed gRPC call has encoding %q", enc)
	}
}

func TestWaitForSpansTimeoutAndClose(t *testing.T) {
	r := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.WaitForSpans(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := r.WaitForSpans(context.Background(), 1)
		done <- err
	}()
	r.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("err = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitForSpans did not return after Close")
	}
	r.Close() // idempotent
}

func TestWaitForSpansWakesOnArrival(t *testing.T) {
	r := Start(t)
	c := grpcClient(t, r)
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.Export(context.Background(), exportRequest(t, "svc", "late"))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	spans, err := r.WaitForSpans(ctx, 1)
	if err != nil || len(spans) != 1 {
		t.Fatalf("spans %v err %v", spans, err)
	}
	r.Reset()
	if r.SpanCount() != 0 {
		t.Fatal("Reset kept spans")
	}
}

func TestValue(t *testing.T) {
	kvs := []*commonpb.KeyValue{
		{Key: "s", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "v"}}},
		{Key: "b", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}},
		{Key: "i", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: -3}}},
		{Key: "d", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 0.5}}},
		{Key: "y", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{1}}}},
		{Key: "a", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{
			Values: []*commonpb.AnyValue{{Value: &commonpb.AnyValue_IntValue{IntValue: 1}}}}}}},
		{Key: "m", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{
			Values: []*commonpb.KeyValue{strAttr("k", "v")}}}}},
		{Key: "nil"},
	}
	got := Attrs(kvs)
	if got["s"] != "v" || got["b"] != true || got["i"] != int64(-3) || got["d"] != 0.5 ||
		!bytes.Equal(got["y"].([]byte), []byte{1}) || got["a"].([]any)[0] != int64(1) ||
		got["m"].(map[string]any)["k"] != "v" || got["nil"] != nil {
		t.Fatalf("Attrs = %#v", got)
	}
	if n := len(SpansNamed([]*tracepb.ResourceSpans{exportRequest(t, "s", "a", "b", "a").ResourceSpans[0]}, "a")); n != 2 {
		t.Fatalf("SpansNamed found %d", n)
	}
}
