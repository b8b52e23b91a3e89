package middle

import "net/netip"

// routable reports whether a peer on the Internet can see a as our
// address: a global unicast address outside the private, CGNAT and
// unique-local ranges.
func routable(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && !a.IsPrivate() && !sharedCGNAT(a)
}

// sharedCGNAT reports whether a is in 100.64.0.0/10, the shared address
// space of carrier-grade NAT (RFC 6598): not private in netip's sense,
// but never what a peer on the Internet sees.
func sharedCGNAT(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return b[0] == 100 && b[1]&0xc0 == 64
}

// natTable translates our local addresses into the public ones middle
// proxies see.
type natTable struct {
	ext4, ext6 netip.Addr
	mapping    map[netip.Addr]netip.Addr
}

func newNATTable(o *Options) natTable {
	t := natTable{ext4: o.ExternalIP.Unmap(), ext6: o.ExternalIP6, mapping: make(map[netip.Addr]netip.Addr, len(o.NAT))}
	for l, p := range o.NAT {
		t.mapping[l.Unmap()] = p.Unmap()
	}
	return t
}

// public returns the address a peer on the Internet sees for our local
// address local: its NAT mapping when there is one (--nat-info), local
// itself when routable, else the external address of its family (IP),
// else local unchanged (loopback tests, a private network end to end).
func (t natTable) public(local netip.Addr) netip.Addr {
	local = local.Unmap()
	if p, ok := t.mapping[local]; ok {
		return p
	}
	if routable(local) {
		return local
	}
	if local.Is4() && t.ext4.IsValid() {
		return t.ext4
	}
	if local.Is6() && t.ext6.IsValid() {
		return t.ext6
	}
	return local
}

// publicAddrPort translates the address and keeps the port: a NAT that
// rewrites ports breaks the middle-proxy key derivation anyway.
func (t natTable) publicAddrPort(local netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(t.public(local.Addr()), local.Port())
}
