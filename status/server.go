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
	"golang.org/x/net/netutil"
)

// Defaults of [Options].
const (
	// DefaultReadHeaderTimeout bounds the time a peer may take to send a
	// request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds the time a peer may take to send a whole
	// request.
	DefaultReadTimeout = 15 * time.Second
	// DefaultWriteTimeout bounds the time to write a response (a scrape of
	// /metrics included).
	DefaultWriteTimeout = 30 * time.Second
	// DefaultIdleTimeout bounds how long an idle keep-alive connection is
	// kept open.
	DefaultIdleTimeout = time.Minute
	// DefaultMaxConns bounds the connections served at once; more wait in
	// the listen backlog, so the port cannot take the descriptors the
	// client port needs.
	DefaultMaxConns = 64
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
	// HealthAllow are the networks that may read /healthz and /readyz
	// (HEALTH_ALLOW). Default: MetricsAllow.
	HealthAllow []netip.Prefix
	// ReadHeaderTimeout: default DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadTimeout: default DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout: default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// IdleTimeout: default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxConns: default DefaultMaxConns.
	MaxConns int
}

// Server is the HTTP server of INTERNAL_PORT. Its zero value is not usable;
// build it with [New].
type Server struct {
	mux      *http.ServeMux
	srv      *http.Server
	maxConns int
}

// New returns a Server with its four routes mounted:
//
//   - GET /stats: the legacy tab-separated page (metrics.StatsPage), to
//     StatsAllow only;
//   - GET /metrics: Prometheus and OpenMetrics (with exemplars), to
//     MetricsAllow only;
//   - GET /healthz: 200 "ok" while the process lives, to HealthAllow;
//   - GET /readyz: 200 "ready" when metrics.Snapshot.NotReady is empty,
//     else 503 with one line per unmet condition, to HealthAllow.
//
// Anything else, and any route to a peer outside its list, gets a bare
// 404 (no body, no hint that the route exists): a scanner learns nothing.
func New(src Source, o Options) *Server {
	if o.StatsAllow == nil {
		o.StatsAllow = LoopbackPrefixes()
	}
	if o.MetricsAllow == nil {
		o.MetricsAllow = PrivatePrefixes()
	}
	if o.HealthAllow == nil {
		o.HealthAllow = o.MetricsAllow
	}
	defaults.SetPositive(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	defaults.SetPositive(&o.ReadTimeout, DefaultReadTimeout)
	defaults.SetPositive(&o.WriteTimeout, DefaultWriteTimeout)
	defaults.SetPositive(&o.IdleTimeout, DefaultIdleTimeout)
	defaults.SetPositive(&o.MaxConns, DefaultMaxConns)
	s := &Server{mux: http.NewServeMux(), maxConns: o.MaxConns}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: o.ReadHeaderTimeout, ReadTimeout: o.ReadTimeout,
		WriteTimeout: o.WriteTimeout, IdleTimeout: o.IdleTimeout}
	s.Handle("GET /stats", statsHandler(src), o.StatsAllow)
	s.Handle("GET /metrics", metricsHandler(src), o.MetricsAllow)
	s.Handle("GET /healthz", http.HandlerFunc(healthz), o.HealthAllow)
	s.Handle("GET /readyz", readyzHandler(src), o.HealthAllow)
	return s
}

// Handle mounts h on pattern (an http.ServeMux pattern, such as
// "GET /links" or "/admin/"), reachable from the networks in from only:
// with an empty list nobody reaches it. Mount routes before [Server.Serve];
// a pattern that conflicts with a mounted one panics, as in http.ServeMux.
func (s *Server) Handle(pattern string, h http.Handler, from []netip.Prefix) {
	s.mux.Handle(pattern, allow(from, h))
}

// ServeHTTP serves one request, as the server does for each one it reads:
// a request no route takes (an unknown path, another method) gets the
// same bare 404 as a refused peer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		notFound(w)
		return
	}
	h.ServeHTTP(w, r)
}

// Serve accepts connections on ln, at most MaxConns at once, until
// [Server.Shutdown]; it then returns http.ErrServerClosed, and any other
// error when accepting fails.
func (s *Server) Serve(ln net.Listener) error {
	return s.srv.Serve(netutil.LimitListener(ln, s.maxConns))
}

// Shutdown stops accepting and waits, within ctx, for the requests in
// flight to finish.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
