package netinfo

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Sentinel errors; the errors returned wrap them, for errors.Is.
var (
	// ErrBadNATInfo: a --nat-info value is malformed.
	ErrBadNATInfo = errors.New("netinfo: bad nat-info")
	// ErrBadURL: an IP look-up URL is malformed.
	ErrBadURL = errors.New("netinfo: bad IP look-up URL")
	// ErrNoRoute: the kernel has no route to the probe target, so the
	// internal address is unknown.
	ErrNoRoute = errors.New("netinfo: no route to a public address")
	// ErrNoExternal: no look-up gave a valid external address.
	ErrNoExternal = errors.New("netinfo: external address not detected")
	// ErrBadAnswer: a look-up service answered something that is not a
	// usable public IP address of the expected family.
	ErrBadAnswer = errors.New("netinfo: bad IP look-up answer")
)

// ParseNATInfo parses the official proxy's --nat-info value "local:public":
// two IPv4 addresses, the one the host has and the one the world sees.
// Surrounding spaces are ignored. Errors wrap [ErrBadNATInfo].
func ParseNATInfo(s string) (local, public netip.Addr, err error) {
	s = strings.TrimSpace(s)
	l, p, ok := strings.Cut(s, ":")
	if !ok {
		return local, public, fmt.Errorf("%w %q: want <local>:<public>, two IPv4 addresses", ErrBadNATInfo, s)
	}
	if local, err = natAddr("local", l); err != nil {
		return netip.Addr{}, netip.Addr{}, err
	}
	if public, err = natAddr("public", p); err != nil {
		return netip.Addr{}, netip.Addr{}, err
	}
	return local, public, nil
}

func natAddr(which, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%w: %s address %q is not an IPv4 address", ErrBadNATInfo, which, s)
	}
	if a.IsUnspecified() || a.IsMulticast() {
		return netip.Addr{}, fmt.Errorf("%w: %s address %s is not a host address", ErrBadNATInfo, which, a)
	}
	return a, nil
}
