package status

import (
	"net/http"
	"net/netip"
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

// Everyone lets every IPv4 and IPv6 peer in (HEALTH_ALLOW=0.0.0.0/0,::/0
// for orchestrators probing from addresses nobody can list).
func Everyone() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
}

// allow serves next only to peers inside one of the prefixes; with none,
// to nobody. Others get a bare 404, as for a route that does not exist.
func allow(prefixes []netip.Prefix, next http.Handler) http.Handler {
	prefixes = normalize(prefixes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(prefixes, r.RemoteAddr) {
			notFound(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// notFound answers a bare 404: no body and no header that would name the
// software or the route.
func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNotFound)
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
