package otlpreceiver

import (
	"context"
	"net/http"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// traceService is the receiver's OTLP/gRPC TraceService.
type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	r *Receiver
}

// Export records one export call.
func (s traceService) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	header := http.Header{}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		for k, vs := range md {
			for _, v := range vs {
				header.Add(k, v)
			}
		}
	}
	encoding, _ := ctx.Value(encodingKey{}).(*string)
	rec := Request{
		Protocol: ProtocolGRPC,
		Header:   header,
		Encoding: *encoding,
		Traces:   proto.Clone(req).(*coltracepb.ExportTraceServiceRequest),
	}
	if !s.r.accept(rec) {
		return nil, status.Error(codes.Unavailable, "otlpreceiver: export rejected on request")
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// encodingKey is the context key under which encodingStats leaves a *string
// for the call's grpc-encoding, which gRPC keeps out of the metadata.
type encodingKey struct{}

// encodingStats is a gRPC stats handler that captures each call's
// compression from its headers, before the handler runs.
type encodingStats struct{}

func (encodingStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, encodingKey{}, new(string))
}

func (encodingStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		if p, ok := ctx.Value(encodingKey{}).(*string); ok {
			*p = h.Compression
		}
	}
}

func (encodingStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (encodingStats) HandleConn(context.Context, stats.ConnStats)                       {}
