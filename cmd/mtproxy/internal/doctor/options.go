package doctor

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
)

// DefaultTimeout bounds each network step (a connect, a download, a
// handshake, a look-up) unless Options.Timeout says otherwise.
const DefaultTimeout = 3 * time.Second

// Options tunes a run and holds its dependencies. The zero value uses the
// real network and clock; tests replace the functions.
type Options struct {
	// Timeout bounds each network step. Default DefaultTimeout. The whole
	// run is bounded by 3*Timeout + 1s (see Deadline).
	Timeout time.Duration
	// HideLinks prints the links with the secret elided, for output meant
	// to be shared.
	HideLinks bool

	// Dial opens TCP connections (DCs, middle proxies, the fronting host)
	// and, in the default HTTPClient, HTTP ones. Default: a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HTTPClient downloads Telegram's files, asks the IP look-up services
	// and the running proxy. Default: http.DefaultTransport's settings
	// dialling through Dial.
	HTTPClient *http.Client
	// LookupIP resolves TLS_DOMAIN. Default: net.DefaultResolver.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Listen binds the ports to test them. Default: net.Listen.
	Listen func(network, addr string) (net.Listener, error)
	// NTPDial opens the UDP sockets of the SNTP queries. Default: the
	// clockskew package's.
	NTPDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RouteProbe finds the internal address. Default: the netinfo
	// package's (a UDP connect, no packet sent).
	RouteProbe func(ctx context.Context, target netip.AddrPort) (netip.Addr, error)
	// DetectURLs6 are the IPv6 look-up services. Default: netinfo's.
	DetectURLs6 []string
	// TLSRoots verify the fronting host's certificate. Default: the
	// system's roots.
	TLSRoots *x509.CertPool
	// Now reads the clock. Default time.Now.
	Now func() time.Time
	// Rand makes the RPC nonces. Default crypto/rand.
	Rand io.Reader
	// PID goes into the RPC handshake. Default os.Getpid().
	PID int
}

// Deadline is the bound on a whole run: the longest chain of dependent
// steps (download, then connect, then handshake) plus a second.
func (o Options) Deadline() time.Duration {
	return 3*o.withDefaults().Timeout + time.Second
}

func (o Options) withDefaults() Options {
	defaults.SetPositive(&o.Timeout, DefaultTimeout)
	if o.Dial == nil {
		o.Dial = (&net.Dialer{}).DialContext
	}
	if o.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = o.Dial
		o.HTTPClient = &http.Client{Transport: tr}
	}
	if o.LookupIP == nil {
		o.LookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if o.Listen == nil {
		o.Listen = net.Listen
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	defaults.Set(&o.Rand, cryptorand.Reader)
	defaults.Set(&o.PID, os.Getpid())
	return o
}
