package otlpreceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// ErrClosed is returned by [Receiver.WaitForSpans] when the receiver was
// closed before enough spans arrived.
var ErrClosed = errors.New("otlpreceiver: receiver closed")

// Protocol names the OTLP transport and encoding a request came with, spelled
// as in OTEL_EXPORTER_OTLP_PROTOCOL.
type Protocol string

// The protocols the receiver serves.
const (
	ProtocolGRPC         Protocol = "grpc"
	ProtocolHTTPProtobuf Protocol = "http/protobuf"
	ProtocolHTTPJSON     Protocol = "http/json"
)

// Request is one accepted export request.
type Request struct {
	// Protocol is how the request arrived.
	Protocol Protocol
	// Header holds the HTTP request headers, or for gRPC the call's metadata
	// with canonicalised keys ("x-token" becomes "X-Token").
	Header http.Header
	// Encoding is the compression the payload came with: "gzip", or ""
	// for none (HTTP Content-Encoding, gRPC grpc-encoding).
	Encoding string
	// Traces is the decoded payload.
	Traces *coltracepb.ExportTraceServiceRequest
}

// Receiver collects the spans exported to it. Its methods are safe for
// concurrent use. The zero value is not usable: call [Start] or [New].
type Receiver struct {
	grpcLn, httpLn net.Listener
	grpcSrv        *grpc.Server
	httpSrv        *http.Server
	closeOnce      sync.Once

	mu       sync.Mutex
	requests []Request
	changed  chan struct{} // closed and replaced whenever requests grows or the receiver closes
	closed   bool
	reject   int // how many of the next exports to refuse
}

// Start starts a receiver for a test and closes it when the test ends. It
// fails the test if the listeners cannot be opened.
func Start(t testing.TB) *Receiver {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatalf("otlpreceiver: %v", err)
	}
	t.Cleanup(r.Close)
	return r
}

// New starts a receiver on two fresh loopback ports, one for gRPC and one for
// HTTP. The caller must [Receiver.Close] it.
func New() (*Receiver, error) {
	grpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for gRPC: %w", err)
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		grpcLn.Close()
		return nil, fmt.Errorf("listen for HTTP: %w", err)
	}
	r := &Receiver{grpcLn: grpcLn, httpLn: httpLn, changed: make(chan struct{})}

	r.grpcSrv = grpc.NewServer(grpc.StatsHandler(encodingStats{}))
	coltracepb.RegisterTraceServiceServer(r.grpcSrv, traceService{r: r})
	mux := http.NewServeMux()
	mux.Handle(TracesPath, httpHandler{r: r})
	r.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	go r.grpcSrv.Serve(grpcLn) //nolint:errcheck // Serve returns when Close stops it.
	go r.httpSrv.Serve(httpLn) //nolint:errcheck // Serve returns when Close stops it.
	return r, nil
}

// Close stops both servers at once, dropping open connections. Spans already
// received stay readable. Close is idempotent.
func (r *Receiver) Close() {
	r.closeOnce.Do(func() {
		r.grpcSrv.Stop()
		r.httpSrv.Close()
		r.mu.Lock()
		r.closed = true
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	})
}

// GRPCAddr is the gRPC server's host:port, for grpc.NewClient.
func (r *Receiver) GRPCAddr() string { return r.grpcLn.Addr().String() }

// HTTPAddr is the HTTP server's host:port.
func (r *Receiver) HTTPAddr() string { return r.httpLn.Addr().String() }

// GRPCEndpoint is the gRPC server as a plaintext URL ("http://127.0.0.1:port"),
// the form OTEL_EXPORTER_OTLP_ENDPOINT takes with protocol grpc.
func (r *Receiver) GRPCEndpoint() string { return "http://" + r.GRPCAddr() }

// HTTPEndpoint is the HTTP server's base URL ("http://127.0.0.1:port"), the
// form OTEL_EXPORTER_OTLP_ENDPOINT takes with protocol http/protobuf: the
// exporter appends [TracesPath] itself.
func (r *Receiver) HTTPEndpoint() string { return "http://" + r.HTTPAddr() }

// HTTPTracesURL is the full URL of the traces resource, the form
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT takes with an HTTP protocol.
func (r *Receiver) HTTPTracesURL() string { return r.HTTPEndpoint() + TracesPath }

// RejectNext makes the next n export requests, on either transport, fail
// with a retryable error (gRPC UNAVAILABLE, HTTP 503) without being recorded.
func (r *Receiver) RejectNext(n int) {
	r.mu.Lock()
	r.reject = n
	r.mu.Unlock()
}

// accept records req unless a rejection is pending; it reports whether req
// was recorded.
func (r *Receiver) accept(req Request) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reject > 0 {
		r.reject--
		return false
	}
	r.requests = append(r.requests, req)
	close(r.changed)
	r.changed = make(chan struct{})
	return true
}

// Requests returns copies of the export requests received so far, oldest first.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Request, len(r.requests))
	for i, req := range r.requests {
		out[i] = Request{
			Protocol: req.Protocol,
			Header:   req.Header.Clone(),
			Encoding: req.Encoding,
			Traces:   proto.Clone(req.Traces).(*coltracepb.ExportTraceServiceRequest),
		}
	}
	return out
}

// ResourceSpans returns copies of all resource spans received so far, in
// arrival order.
func (r *Receiver) ResourceSpans() []*tracepb.ResourceSpans {
	var out []*tracepb.ResourceSpans
	for _, req := range r.Requests() {
		out = append(out, req.Traces.GetResourceSpans()...)
	}
	return out
}

// Spans returns copies of all spans received so far, flattened across
// requests, resources and scopes, in arrival order.
func (r *Receiver) Spans() []*tracepb.Span {
	var out []*tracepb.Span
	for _, rs := range r.ResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			out = append(out, ss.GetSpans()...)
		}
	}
	return out
}

// SpanCount is the number of spans received so far.
func (r *Receiver) SpanCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return countSpans(r.requests)
}

// Reset forgets every request received so far.
func (r *Receiver) Reset() {
	r.mu.Lock()
	r.requests = nil
	r.mu.Unlock()
}

// WaitForSpans waits until at least n spans have been received and returns
// them all, as [Receiver.Spans] does. When ctx ends or the receiver closes
// first, it returns the spans received so far and an error saying how many
// arrived.
func (r *Receiver) WaitForSpans(ctx context.Context, n int) ([]*tracepb.Span, error) {
	for {
		r.mu.Lock()
		got, changed, closed := countSpans(r.requests), r.changed, r.closed
		r.mu.Unlock()
		if got >= n {
			return r.Spans(), nil
		}
		if closed {
			return r.Spans(), fmt.Errorf("%w: %d of %d spans received", ErrClosed, got, n)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return r.Spans(), fmt.Errorf("otlpreceiver: %d of %d spans received: %w", got, n, ctx.Err())
		}
	}
}

func countSpans(reqs []Request) int {
	n := 0
	for _, req := range reqs {
		for _, rs := range req.Traces.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				n += len(ss.GetSpans())
			}
		}
	}
	return n
}
