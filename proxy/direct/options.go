package direct

import (
	"context"
	"io"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"go.opentelemetry.io/otel/trace"
)

// Options configure a [Direct] upstream. The zero value of every field is a
// usable default, documented on the field.
type Options struct {
	// Table is where the DCs are. Default: dc.Builtin().
	Table *dc.Table
	// Prefer orders address families. Default dc.PreferIPv4.
	Prefer dc.Preference
	// Dialer dials DC addresses. Default: a zero dc.Dialer
	// (dc.DefaultDialTimeout per attempt, dc.DefaultKeepAlive).
	Dialer *dc.Dialer
	// IdleTimeout closes a relay with no traffic either way for this
	// long. Default: proxy.DefaultIdleTimeout (5m); negative: no limit.
	IdleTimeout time.Duration
	// Observer receives dial events. Default: NopObserver.
	Observer Observer
	// TracerProvider creates the dial spans. Default: a no-op provider.
	TracerProvider trace.TracerProvider
	// Rand feeds the DC-side obfuscated2 headers. Default crypto/rand.
	Rand io.Reader
}

// Observer receives what the direct upstream does. Implementations must be
// safe for concurrent use and cheap.
type Observer interface {
	// UpstreamDial reports one dial attempt towards a DC (one address).
	// ctx carries the dial's span. A failed connect is reported at once;
	// the connected attempt when the DC sends its first byte back (dc.OK)
	// or, failing that, when the client's connection ends (dc.Reset,
	// dc.NoAnswer): a dial is healthy only once the DC has answered.
	UpstreamDial(ctx context.Context, ev DialEvent)
}

// DialEvent describes one dial attempt to one Telegram address.
type DialEvent struct {
	// DC is the DC dialed: the client's, or the table's default when the
	// table does not know the client's.
	DC int
	// Addr is the address dialed, host:port.
	Addr string
	// Result is how the attempt ended, a closed set usable as a metric
	// label (dc.NumResults values).
	Result dc.Result
	// Duration is the TCP connect's.
	Duration time.Duration
	// FirstAnswer is how long after the connect the DC's first byte came
	// back; set when Result is dc.OK.
	FirstAnswer time.Duration
}

// NopObserver ignores everything; it is the default Observer.
type NopObserver struct{}

// UpstreamDial does nothing.
func (NopObserver) UpstreamDial(context.Context, DialEvent) {}
