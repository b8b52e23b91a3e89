package metrics

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// LoopbackPrefixes are the default STATS_ALLOW: 127.0.0.0/8 and ::1.
func LoopbackPrefixes() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// PrivatePrefixes are the default METRICS_ALLOW: loopback and the private
// networks (RFC 1918 and IPv6 unique local addresses), where Prometheus
// usually scrapes from.
func PrivatePrefixes() []netip.Prefix {
	return append(LoopbackPrefixes(),
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7"))
}

// HandlerOptions configure [NewHandler].
type HandlerOptions struct {
	// StatsAllow are the networks that may read /stats (STATS_ALLOW).
	// Default LoopbackPrefixes, as the official proxy.
	StatsAllow []netip.Prefix
	// MetricsAllow are the networks that may read /metrics
	// (METRICS_ALLOW). Default PrivatePrefixes.
	MetricsAllow []netip.Prefix
}

// NewHandler serves the INTERNAL_PORT listener:
//
//   - GET /stats: the legacy tab-separated page (see StatsPage), to
//     StatsAllow only;
//   - GET /metrics: Prometheus and OpenMetrics (with exemplars), to
//     MetricsAllow only;
//   - GET /healthz: 200 "ok" while the process lives;
//   - GET /readyz: 200 "ready" when [Snapshot.NotReady] is empty, else 503
//     with one line per unmet condition.
//
// The allow lists are matched against the TCP peer (r.RemoteAddr), never a
// forwarding header: a proxy in front would make every client look local.
// A refused peer gets 403.
func NewHandler(m *Metrics, o HandlerOptions) http.Handler {
	if o.StatsAllow == nil {
		o.StatsAllow = LoopbackPrefixes()
	}
	if o.MetricsAllow == nil {
		o.MetricsAllow = PrivatePrefixes()
	}
	stats, metrics := normalize(o.StatsAllow), normalize(o.MetricsAllow)
	prom := promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{EnableOpenMetrics: true})
	mux := http.NewServeMux()
	mux.Handle("GET /stats", allow(stats, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		page := StatsPage(m.Snapshot())
		h := w.Header()
		h.Set("Content-Type", "text/plain")
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(page)
	})))
	mux.Handle("GET /metrics", allow(metrics, prom))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if missing := m.Snapshot().NotReady(); len(missing) > 0 {
			plain(w, http.StatusServiceUnavailable, strings.Join(missing, "\n")+"\n")
			return
		}
		plain(w, http.StatusOK, "ready\n")
	})
	return mux
}

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// allow serves next only to peers inside one of the prefixes.
func allow(prefixes []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(prefixes, r.RemoteAddr) {
			plain(w, http.StatusForbidden, "forbidden\n")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowed reports whether the peer address remote ("ip:port", as
// http.Request.RemoteAddr) lies in one of the prefixes. IPv4-mapped IPv6
// addresses count as IPv4 and zones are ignored; anything unparsable is
// refused.
func allowed(prefixes []netip.Prefix, remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap().WithZone("")
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// normalize unmaps IPv4-mapped IPv6 prefixes (::ffff:10.0.0.0/104 is
// 10.0.0.0/8), since peers are unmapped before matching.
func normalize(in []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(in))
	for _, p := range in {
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out
}
