package load

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// Resolver looks host names up; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckLoopback fails with ErrRemote unless every address addr's host stands
// for is a loopback address (127.0.0.0/8, ::1). Names are looked up with r.
func CheckLoopback(ctx context.Context, r Resolver, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: target %q: %w", ErrConfig, addr, err)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = r.LookupNetIP(ctx, "ip", host); err != nil {
		return fmt.Errorf("%w: resolving %q: %w", ErrConfig, host, err)
	}
	if len(ips) == 0 {
		return fmt.Errorf("%w: %q has no address", ErrConfig, host)
	}
	for _, ip := range ips {
		if !ip.Unmap().IsLoopback() {
			return fmt.Errorf("%w: %s", ErrRemote, ip)
		}
	}
	return nil
}
