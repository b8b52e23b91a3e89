package tlsprofile

import (
	"context"
	"crypto/rand"
	"github.com/mtproxy/mtproxy/internal/defaults"
	"io"
	"net"
	"time"
)

// Defaults of [Options].
const (
	DefaultTimeout       = 10 * time.Second
	DefaultSettle        = 300 * time.Millisecond
	DefaultWriteGap      = time.Millisecond
	DefaultInterval      = time.Hour
	DefaultRetryInterval = time.Minute
	DefaultNoise         = 2
)

// Options configure probes and the Watcher. Addr and ServerName are
// required; every other field has a documented default.
type Options struct {
	// Addr is the fronting host's host:port, as given to Dial.
	Addr string
	// ServerName is the SNI of the probe: TLS_DOMAIN, what clients send.
	ServerName string
	// Dial connects to Addr. Default: a [net.Dialer]. The proxy passes one
	// resolving through its cache of the fronting host's addresses.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds one probe, the connect included. Default:
	// DefaultTimeout (10s).
	Timeout time.Duration
	// Settle is how long the origin must stay quiet after its last
	// encrypted record for its flight to be over. It is at least twice the
	// time the ServerHello took. Default: DefaultSettle (300ms).
	Settle time.Duration
	// WriteGap: a pause at least this long between two records marks
	// separate writes of the origin. Default: DefaultWriteGap (1ms).
	WriteGap time.Duration
	// Noise is the ±bytes the stand-in record varies by
	// (faketls.ServerProfile.Noise), at most faketls.MaxProfileNoise.
	// Default: DefaultNoise (2, what ECDSA signatures of varying length
	// give); negative means none.
	Noise int
	// Interval is the Watcher's period between probes. Default:
	// DefaultInterval (1h).
	Interval time.Duration
	// RetryInterval is the Watcher's period after a failed probe, doubling
	// up to Interval. Default: DefaultRetryInterval (1m).
	RetryInterval time.Duration
	// Rand supplies the probe's hello and the fallback profile. Default
	// crypto/rand.
	Rand io.Reader
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Dial == nil {
		o.Dial = (&net.Dialer{}).DialContext
	}
	defaults.SetPositive(&o.Timeout, DefaultTimeout)
	defaults.SetPositive(&o.Settle, DefaultSettle)
	defaults.SetPositive(&o.WriteGap, DefaultWriteGap)
	defaults.Set(&o.Noise, DefaultNoise)
	o.Noise = max(o.Noise, 0) // negative: none
	defaults.SetPositive(&o.Interval, DefaultInterval)
	defaults.SetPositive(&o.RetryInterval, DefaultRetryInterval)
	defaults.Set(&o.Rand, rand.Reader)
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
