package tlsprofile

import (
	"context"
	"crypto/rand"
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
	// Timeout bounds one probe, the connect included. Default 10s.
	Timeout time.Duration
	// Settle is how long the origin must stay quiet after its last
	// encrypted record for its flight to be over. It is at least twice the
	// time the ServerHello took. Default 300ms.
	Settle time.Duration
	// WriteGap: a pause at least this long between two records marks
	// separate writes of the origin. Default 1ms.
	WriteGap time.Duration
	// Noise is the ±bytes the stand-in record varies by
	// (faketls.ServerProfile.Noise). Default 2: what ECDSA signatures of
	// varying length give; negative means none.
	Noise int
	// Interval is the Watcher's period between probes. Default 1h.
	Interval time.Duration
	// RetryInterval is the Watcher's period after a failed probe, doubling
	// up to Interval. Default 1m.
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
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.WriteGap <= 0 {
		o.WriteGap = DefaultWriteGap
	}
	switch {
	case o.Noise == 0:
		o.Noise = DefaultNoise
	case o.Noise < 0:
		o.Noise = 0
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
