package tracing

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/otlpreceiver"
	"github.com/mtproxy/mtproxy/tracing/spanattr"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// TestEndToEnd points Setup at an in-process OTLP receiver through the
// environment alone, makes a connection span with a child dial span, shuts down and
// checks what the receiver got, for every protocol.
func TestEndToEnd(t *testing.T) {
	r := otlpreceiver.Start(t)
	tests := []struct {
		name     string
		env      map[string]string
		protocol otlpreceiver.Protocol
		encoding string
	}{
		{"grpc", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": r.GRPCEndpoint()}, otlpreceiver.ProtocolGRPC, ""},
		{"grpc gzip, traces endpoint", map[string]string{
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": r.GRPCEndpoint() + "/ignored", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
			"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}, otlpreceiver.ProtocolGRPC, "gzip"},
		{"http/protobuf base endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": r.HTTPEndpoint(),
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, otlpreceiver.ProtocolHTTPProtobuf, ""},
		{"http/protobuf gzip, traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": r.HTTPTracesURL(),
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip"},
			otlpreceiver.ProtocolHTTPProtobuf, "gzip"},
		{"http/json", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": r.HTTPEndpoint(),
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, otlpreceiver.ProtocolHTTPJSON, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.Reset()
			tt.env["OTEL_EXPORTER_OTLP_HEADERS"] = "X-Api-Key=k%20ey"
			tt.env["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment.name=test"
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			setEnv(t, tt.env)
			p, err := Setup(ctx, "9.9.9")
			if err != nil {
				t.Fatal(err)
			}
			if !p.Enabled() {
				t.Fatal("not enabled")
			}
			tracer := p.Tracer("github.com/mtproxy/mtproxy/proxy", trace.WithSchemaURL(spanattr.SchemaURL))
			peer := &net.TCPAddr{IP: net.IPv4(203, 0, 113, 5), Port: 40000}
			local := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 443}
			connCtx, conn := tracer.Start(ctx, "mtproxy.client", trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(spanattr.ClientConn(peer, local)...))
			_, dial := tracer.Start(connCtx, "mtproxy.upstream.dial", trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(spanattr.UpstreamDial("149.154.175.50:443")...))
			dial.SetStatus(codes.Error, "refused")
			dial.End()
			conn.End()
			if err := p.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			if _, err := r.WaitForSpans(ctx, 2); err != nil {
				t.Fatal(err)
			}
			reqs := r.Requests()
			for _, req := range reqs {
				if req.Protocol != tt.protocol || req.Encoding != tt.encoding {
					t.Errorf("arrived over %s %q, want %s %q", req.Protocol, req.Encoding, tt.protocol, tt.encoding)
				}
				if got := req.Header.Get("X-Api-Key"); got != "k ey" {
					t.Errorf("X-Api-Key = %q", got)
				}
			}
			rss := r.ResourceSpans()
			res := otlpreceiver.Attrs(rss[0].GetResource().GetAttributes())
			for k, v := range map[string]any{"service.name": "mtproxy", "service.version": "9.9.9",
				"deployment.environment.name": "test", "telemetry.sdk.language": "go"} {
				if res[k] != v {
					t.Errorf("resource %s = %v, want %v", k, res[k], v)
				}
			}
			if scope := rss[0].GetScopeSpans()[0]; scope.GetScope().GetName() != "github.com/mtproxy/mtproxy/proxy" ||
				scope.GetSchemaUrl() != spanattr.SchemaURL {
				t.Errorf("scope %v schema %q", scope.GetScope(), scope.GetSchemaUrl())
			}

			conns := otlpreceiver.SpansNamed(rss, "mtproxy.client")
			dials := otlpreceiver.SpansNamed(rss, "mtproxy.upstream.dial")
			if len(conns) != 1 || len(dials) != 1 {
				t.Fatalf("%d connection and %d dial spans", len(conns), len(dials))
			}
			c, d := conns[0], dials[0]
			if !bytes.Equal(d.GetTraceId(), c.GetTraceId()) || !bytes.Equal(d.GetParentSpanId(), c.GetSpanId()) {
				t.Errorf("dial span is not the connection span's child")
			}
			if c.GetKind() != tracepb.Span_SPAN_KIND_SERVER || d.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
				t.Errorf("kinds %v %v", c.GetKind(), d.GetKind())
			}
			if d.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || d.GetStatus().GetMessage() != "refused" {
				t.Errorf("dial status %v", d.GetStatus())
			}
			ca := otlpreceiver.Attrs(c.GetAttributes())
			for k, v := range map[string]any{"network.transport": "tcp", "network.type": "ipv4",
				"network.peer.address": "203.0.113.5", "network.peer.port": int64(40000),
				"network.local.address": "192.0.2.1", "network.local.port": int64(443)} {
				if ca[k] != v {
					t.Errorf("connection %s = %v, want %v", k, ca[k], v)
				}
			}
			da := otlpreceiver.Attrs(d.GetAttributes())
			if da["server.address"] != "149.154.175.50" || da["server.port"] != int64(443) {
				t.Errorf("dial attributes %v", da)
			}
		})
	}
}
