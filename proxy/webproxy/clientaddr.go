package webproxy

import (
	"github.com/mtproxy/mtproxy/internal/netx"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the real client's address: the HTTP peer, or, when the
// peer is a trusted proxy, the last X-Forwarded-For entry that is not
// itself trusted (each trusted hop appends the address it saw, so what is
// left of it is the client's word only), with the peer's port.
func (c *Carrier) clientAddr(r *http.Request) netip.AddrPort {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.AddrPort{}
	}
	peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	if !c.trusted(peer.Addr()) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		items := strings.Split(hops[i], ",")
		for j := len(items) - 1; j >= 0; j-- {
			a, ok := parseForwarded(strings.TrimSpace(items[j]))
			if !ok {
				return peer // a garbled hop: believe only the peer
			}
			if !c.trusted(a) {
				// The client's own port is not forwarded: the peer's
				// stands in, so the address stays a valid one.
				return netip.AddrPortFrom(a, peer.Port())
			}
		}
	}
	return peer
}

func (c *Carrier) trusted(a netip.Addr) bool {
	for _, p := range c.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseForwarded reads one X-Forwarded-For item: an address, possibly
// with a port or in brackets.
func parseForwarded(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// localAddr is the address the request reached, for the engine's logs and
// the middle proxies.
func localAddr(r *http.Request) netip.AddrPort {
	a, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	return netx.AddrPort(a)
}
