package otlpreceiver

import (
	"context"
	"net/http"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports
	"google.golang.org/grpc/metadata"
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
	rec := Request{
		Protocol: ProtocolGRPC,
		Header:   header,
		Traces:   proto.Clone(req).(*coltracepb.ExportTraceServiceRequest),
	}
	if !s.r.accept(rec) {
		return nil, status.Error(codes.Unavailable, "otlpreceiver: export rejected on request")
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}
