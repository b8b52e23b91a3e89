package status

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of [Options].
const (
	// DefaultReadHeaderTimeout bounds the time a peer may take to send a
	// request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout bounds how long an idle keep-alive connection is
	// kept open.
	DefaultIdleTimeout = 2 * time.Minute
)

// Source is what the server shows; *metrics.Metrics implements it.
type Source interface {
	// Snapshot takes every number at once (the /stats page, readiness).
	Snapshot() *metrics.Snapshot
	// Registry is what /metrics serves.
	Registry() *prometheus.Registry
}

// Options configure [New]. The zero value is usable; every field documents
// its default.
type Options struct {
	// StatsAllow are the networks that may read /stats (STATS_ALLOW).
	// Default LoopbackPrefixes, as the official proxy.
	StatsAllow []netip.Prefix
	// MetricsAllow are the networks that may read /metrics
	// (METRICS_ALLOW). Default PrivatePrefixes.
	MetricsAllow []netip.Prefix
	// ReadHeaderTimeout: default DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// IdleTimeout: default DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Server is the HTTP server of INTERNAL_PORT. Its zero value is not usable;
// build it with [New].
type Server struct {
	mux *http.ServeMux
	srv *http.Server
}

// New returns a Server with its four routes mounted:
//
//   - GET /stats: the legacy tab-separated page (metrics.StatsPage), to
//     StatsAllow only;
//   - GET /metrics: Prometheus and OpenMetrics (with exemplars), to
//     MetricsAllow only;
//   - GET /healthz: 200 "ok" while the process lives, to everyone;
//   - GET /readyz: 200 "ready" when metrics.Snapshot.NotReady is empty,
//     else 503 with one line per unmet condition, to everyone.
func New(src Source, o Options) *Server {
	if o.StatsAllow == nil {
		o.StatsAllow = LoopbackPrefixes()
	}
	if o.MetricsAllow == nil {
		o.MetricsAllow = PrivatePrefixes()
	}
	defaults.SetPositive(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	defaults.SetPositive(&o.IdleTimeout, DefaultIdleTimeout)
	s := &Server{mux: http.NewServeMux()}
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: o.ReadHeaderTimeout, IdleTimeout: o.IdleTimeout}
	s.Handle("GET /stats", statsHandler(src), o.StatsAllow)
	s.Handle("GET /metrics", metricsHandler(src), o.MetricsAllow)
	s.Handle("GET /healthz", http.HandlerFunc(healthz), Everyone())
	s.Handle("GET /readyz", readyzHandler(src), Everyone())
	return s
}

// Handle mounts h on pattern (an http.ServeMux pattern, such as
// "GET /links" or "/admin/"), reachable from the networks in from only:
// with an empty list nobody reaches it. Mount routes before [Server.Serve];
// a pattern that conflicts with a mounted one panics, as in http.ServeMux.
func (s *Server) Handle(pattern string, h http.Handler, from []netip.Prefix) {
	s.mux.Handle(pattern, allow(from, h))
}

// ServeHTTP serves one request, as the server does for each one it reads.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Serve accepts connections on ln until [Server.Shutdown]; it then returns
// http.ErrServerClosed, and any other error when accepting fails.
func (s *Server) Serve(ln net.Listener) error { return s.srv.Serve(ln) }

// Shutdown stops accepting and waits, within ctx, for the requests in
// flight to finish.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
