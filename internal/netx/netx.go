// Package netx holds the small net helpers the module's packages share:
// the engine (proxy), its upstreams (proxy/middle), the doctor and the
// test kit. It depends on the standard library only.
package netx

import (
	"errors"
	"net"
	"net/netip"
)

// AddrPort returns a's address and port with an IPv4-mapped IPv6 address
// unmapped (a dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d).
// It is the zero AddrPort when a is neither a *net.TCPAddr nor an
// "ip:port" string.
func AddrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	if ta, ok := a.(*net.TCPAddr); ok {
		ap = ta.AddrPort()
	} else if a != nil {
		ap, _ = netip.ParseAddrPort(a.String())
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// CloseWriter is a connection whose sending side can be shut down alone
// (a TCP half-close): *net.TCPConn, *net.UnixConn, *tls.Conn,
// *proxy.ClientConn.
type CloseWriter interface {
	CloseWrite() error
}

// CloseWrite half-closes c: the peer reads the end of the stream while c
// can still read. A connection wrapping a TCP one (a PROXY-protocol
// connection, see TCPConn) half-closes that. It returns
// errors.ErrUnsupported when c is neither.
func CloseWrite(c net.Conn) error {
	if cw, ok := c.(CloseWriter); ok {
		return cw.CloseWrite()
	}
	if tc, ok := TCPConn(c); ok {
		return tc.CloseWrite()
	}
	return errors.ErrUnsupported
}

// TCPConn returns the TCP connection under c: c itself, or the one a
// wrapper exposes with a TCPConn method (github.com/pires/go-proxyproto's
// connections from a load balancer), for socket options and half-closes.
func TCPConn(c net.Conn) (*net.TCPConn, bool) {
	switch c := c.(type) {
	case *net.TCPConn:
		return c, true
	case interface{ TCPConn() (*net.TCPConn, bool) }:
		return c.TCPConn()
	}
	return nil, false
}
