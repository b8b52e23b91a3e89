package netinfo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
)

// Defaults of [Options].
const (
	DefaultTimeout = 5 * time.Second
	// maxAnswer bounds a look-up's body: an IP address and a newline.
	maxAnswer = 64
)

// DefaultDetectURLs are the IPv4 look-up services used when none are set.
func DefaultDetectURLs() []string {
	return []string{"https://api.ipify.org", "https://ifconfig.me/ip", "https://icanhazip.com"}
}

// DefaultDetectURLs6 are the IPv6 look-up services used when none are set.
func DefaultDetectURLs6() []string {
	return []string{"https://api6.ipify.org", "https://ipv6.icanhazip.com"}
}

// DefaultRouteTargets are the public addresses whose route tells the
// internal address of each family; nothing is sent to them.
func DefaultRouteTargets() []netip.AddrPort {
	return []netip.AddrPort{
		netip.MustParseAddrPort("8.8.8.8:53"),
		netip.MustParseAddrPort("[2001:4860:4860::8888]:53"),
	}
}

// Options configures [Detect]. The zero value detects everything with the
// documented defaults.
type Options struct {
	// ConfiguredIP is the external address from configuration (the IP
	// variable), IPv4 or IPv6. When valid it wins over detection.
	ConfiguredIP netip.Addr
	// ConfiguredInternalIP is the internal address from configuration,
	// winning over the route probe of its family.
	ConfiguredInternalIP netip.Addr
	// NATInfo is the official "local:public" override (see [ParseNATInfo]).
	// When set it wins over everything for IPv4.
	NATInfo string
	// DetectURLs are IPv4 look-up services answering the caller's address
	// as plain text; they are reached over IPv4 only. Default
	// [DefaultDetectURLs].
	DetectURLs []string
	// DetectURLs6 are the IPv6 look-up services, reached over IPv6 only.
	// Default [DefaultDetectURLs6].
	DetectURLs6 []string
	// DisableIPv6 skips the IPv6 route probe and look-ups, for hosts known
	// to have no IPv6 (where a firewall silently dropping IPv6 would
	// otherwise cost a timeout).
	DisableIPv6 bool
	// Timeout bounds each look-up and each route probe. Default:
	// DefaultTimeout (5s).
	Timeout time.Duration
	// HTTPClient makes the look-ups. Default: a client on a clone of
	// [http.DefaultTransport]. A client whose Transport is an
	// *http.Transport (or nil) is cloned so the family can be forced.
	HTTPClient *http.Client
	// RouteTargets are the addresses whose route gives the internal
	// address of their family; of several of one family the first that
	// has a route wins. Default [DefaultRouteTargets].
	RouteTargets []netip.AddrPort
	// RouteProbe returns the local address the kernel would use to reach
	// target. Default: a UDP "connect" (no packet is sent).
	RouteProbe func(ctx context.Context, target netip.AddrPort) (netip.Addr, error)
}

func (o Options) withDefaults() Options {
	if len(o.DetectURLs) == 0 {
		o.DetectURLs = DefaultDetectURLs()
	}
	if len(o.DetectURLs6) == 0 {
		o.DetectURLs6 = DefaultDetectURLs6()
	}
	defaults.SetPositive(&o.Timeout, DefaultTimeout)
	defaults.Set(&o.HTTPClient, &http.Client{})
	if len(o.RouteTargets) == 0 {
		o.RouteTargets = DefaultRouteTargets()
	}
	if o.RouteProbe == nil {
		o.RouteProbe = probeRoute
	}
	return o
}

// ParseDetectURLs parses IP_DETECT_URLS: comma-separated absolute http or
// https URLs; spaces and empty entries are ignored, an empty list returns
// nil (the caller then uses the default). Errors wrap [ErrBadURL].
func ParseDetectURLs(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if err := checkURL(f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func checkURL(s string) error {
	if strings.Contains(s, "@") {
		// User info may hold a password: never echo it.
		return fmt.Errorf("%w: user info (\"@\") is not allowed", ErrBadURL)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w %q: not a URL", ErrBadURL, s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w %q: scheme must be http or https", ErrBadURL, s)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%w %q: no host", ErrBadURL, s)
	}
	return nil
}

// probeRoute asks the kernel which source address it would use towards
// target, by connecting a UDP socket (which sends nothing).
func probeRoute(ctx context.Context, target netip.AddrPort) (netip.Addr, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", target.String())
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	ua, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.Addr{}, fmt.Errorf("unexpected local address %v", c.LocalAddr())
	}
	return ua.AddrPort().Addr().Unmap(), nil
}
