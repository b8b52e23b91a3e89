package fronthost

import (
	"net"
	"net/netip"
)

// Self describes where this proxy accepts clients, to recognise a
// fronting address that leads back to it.
type Self struct {
	// Port is the client port (PORT).
	Port int
	// Bind is the listen address (BIND); zero or unspecified means every
	// address of the host, loopback included.
	Bind netip.Addr
	// External are addresses a NAT forwards to the proxy (IP, the detected
	// external addresses): they are the proxy on Port whatever Bind is.
	External []netip.Addr
	// Local are this host's own addresses (internal, interface addresses):
	// the proxy on Port when it listens on every address.
	Local []netip.Addr
}

// Is reports whether ap reaches this proxy's client port.
func (s Self) Is(ap netip.AddrPort) bool {
	if int(ap.Port()) != s.Port || s.Port == 0 {
		return false
	}
	a := ap.Addr().Unmap()
	for _, e := range s.External {
		if e.IsValid() && e.Unmap() == a {
			return true
		}
	}
	if s.Bind.IsValid() && !s.Bind.IsUnspecified() {
		return s.Bind.Unmap() == a
	}
	if a.IsLoopback() || a.IsUnspecified() {
		return true
	}
	for _, l := range s.Local {
		if l.IsValid() && l.Unmap() == a {
			return true
		}
	}
	return false
}

// InterfaceAddrs returns the addresses of this host's network interfaces,
// for Self.Local; none when they cannot be listed.
func InterfaceAddrs() []netip.Addr {
	ifs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range ifs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out
}
