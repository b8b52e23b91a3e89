package clockskew

import (
	"context"
	"net"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
)

// Defaults of [Options].
const (
	DefaultServer      = "pool.ntp.org"
	DefaultTimeout     = 5 * time.Second
	DefaultConcurrency = 4
	DefaultInterval    = 10 * time.Minute
	DefaultWarnAfter   = 2 * time.Second
	DefaultCritAfter   = 5 * time.Second
)

// Options configures measurement and classification. The zero value is
// usable: every field has a documented default.
type Options struct {
	// Servers are the SNTP servers, each "host", "host:port", "[v6]" or
	// "[v6]:port" (port 123 when absent). Default: [DefaultServer]. List
	// three or more for the median to outvote a bad one.
	Servers []string
	// Timeout bounds one query of one server, name resolution included.
	// Default: DefaultTimeout (5s).
	Timeout time.Duration
	// Concurrency bounds queries in flight. Default: DefaultConcurrency (4).
	Concurrency int
	// Interval is the Monitor's period between NTP rounds. Default:
	// DefaultInterval (10m).
	Interval time.Duration
	// WarnAfter: an |offset| above it is a [Warning]. Default:
	// DefaultWarnAfter (2s), the tolerance of the strictest FakeTLS
	// implementations.
	WarnAfter time.Duration
	// CriticalAfter: an |offset| above it is [Critical]. Default:
	// DefaultCritAfter (5s).
	CriticalAfter time.Duration
	// Dial opens the UDP socket of a query. Default: a [net.Dialer]'s
	// DialContext. Returning a *net.UDPConn keeps kernel receive
	// timestamps available.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// NewTicker makes the Monitor's ticker. Default: [time.NewTicker].
	NewTicker func(d time.Duration) Ticker
}

// Ticker is the part of [time.Ticker] the Monitor uses, so tests can drive
// the loop.
type Ticker interface {
	// C returns the channel on which ticks are delivered.
	C() <-chan time.Time
	// Stop turns the ticker off.
	Stop()
}

type timeTicker struct{ t *time.Ticker }

func (t timeTicker) C() <-chan time.Time { return t.t.C }
func (t timeTicker) Stop()               { t.t.Stop() }

func (o Options) withDefaults() Options {
	if len(o.Servers) == 0 {
		o.Servers = []string{DefaultServer}
	}
	defaults.SetPositive(&o.Timeout, DefaultTimeout)
	defaults.SetPositive(&o.Concurrency, DefaultConcurrency)
	defaults.SetPositive(&o.Interval, DefaultInterval)
	defaults.SetPositive(&o.WarnAfter, DefaultWarnAfter)
	defaults.SetPositive(&o.CriticalAfter, DefaultCritAfter)
	if o.Dial == nil {
		d := &net.Dialer{}
		o.Dial = d.DialContext
	}
	if o.NewTicker == nil {
		o.NewTicker = func(d time.Duration) Ticker { return timeTicker{time.NewTicker(d)} }
	}
	return o
}

// Severity grades an offset. It is a closed set, usable as a metric label
// through String.
type Severity int

// Severities, in increasing order.
const (
	OK       Severity = iota // within WarnAfter
	Warning                  // above WarnAfter: strict FakeTLS clients may fail
	Critical                 // above CriticalAfter: FakeTLS clients fail; near the middle proxies' 30s limit
	numSeverities
)

var severityNames = [...]string{OK: "ok", Warning: "warning", Critical: "critical"}

// One name per Severity: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(severityNames)-int(numSeverities)]

// String returns the severity's metric label.
func (s Severity) String() string { return enum.Name(severityNames[:], s) }

// Classify grades offset against o's thresholds (defaults when unset): an
// |offset| strictly above CriticalAfter is Critical, strictly above
// WarnAfter is Warning, else OK.
func Classify(offset time.Duration, o Options) Severity {
	o = o.withDefaults()
	switch a := abs(offset); {
	case a > o.CriticalAfter:
		return Critical
	case a > o.WarnAfter:
		return Warning
	}
	return OK
}
