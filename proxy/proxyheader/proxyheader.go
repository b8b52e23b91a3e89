package proxyheader

import (
	"fmt"
	"github.com/mtproxy/mtproxy/internal/enum"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/pires/go-proxyproto"
)

// Version is a PROXY protocol version to send: a closed set.
type Version uint8

// Versions.
const (
	Off Version = iota // send no header
	V1                 // the text header
	V2                 // the binary header
)

var versionNames = [...]string{Off: "off", V1: "v1", V2: "v2"}

// String returns the Version's name.
func (v Version) String() string { return enum.Name(versionNames[:], v) }

// ParseVersion parses "off" (or ""), "v1" or "v2".
func ParseVersion(s string) (Version, error) {
	switch s {
	case "", "off":
		return Off, nil
	case "v1":
		return V1, nil
	case "v2":
		return V2, nil
	}
	return Off, fmt.Errorf("proxyheader: version %q is not off, v1 or v2", s)
}

// Listen wraps ln so that connections from trusted networks must carry a
// PROXY header (v1 or v2), read within timeout of the first use of the
// connection; their RemoteAddr and LocalAddr are the header's. Connections
// from elsewhere are returned as accepted. With no trusted network ln is
// returned unchanged.
func Listen(ln net.Listener, trusted []netip.Prefix, timeout time.Duration) net.Listener {
	if len(trusted) == 0 {
		return ln
	}
	return &proxyproto.Listener{
		Listener:          ln,
		ReadHeaderTimeout: timeout,
		ConnPolicy: func(o proxyproto.ConnPolicyOptions) (proxyproto.Policy, error) {
			if ta, ok := o.Upstream.(*net.TCPAddr); ok {
				a := ta.AddrPort().Addr().Unmap()
				for _, p := range trusted {
					if p.Contains(a) {
						return proxyproto.REQUIRE, nil
					}
				}
			}
			return proxyproto.SKIP, nil
		},
	}
}

// Write writes a PROXY header of version v for a connection from src to
// dst to w; Off writes nothing.
func Write(w io.Writer, v Version, src, dst net.Addr) error {
	if v == Off {
		return nil
	}
	_, err := proxyproto.HeaderProxyFromAddrs(byte(v), src, dst).WriteTo(w)
	return err
}
