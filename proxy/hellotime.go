package proxy

import (
	"errors"
	"fmt"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/replay"
)

// errUptimeRefused is the cause logged for an uptime timestamp when they
// are disabled.
var errUptimeRefused = errors.New("uptime timestamps are refused")

// helloExpiry checks a FakeTLS hello's timestamp ts at now and returns
// until when the replay cache must remember the hello: as long as it would
// be accepted again. A unix timestamp is accepted within ±TimeSkew of now,
// so the hello is remembered until ts + TimeSkew. An uptime timestamp (a
// client's seconds since boot, below faketls.UptimeBound) is accepted,
// unless disabled, when it is at most the proxy's own uptime plus
// TimeSkew; it says nothing of real time, so the hello is remembered for
// the untimed window.
func (p *Proxy) helloExpiry(ts uint32, now time.Time) (time.Time, error) {
	if ts < faketls.UptimeBound {
		if p.o.DisableUptimeTimestamps {
			return time.Time{}, fmt.Errorf("%w: %w", faketls.ErrStaleTimestamp, errUptimeRefused)
		}
		if up := now.Sub(p.started) + p.o.TimeSkew; time.Duration(ts)*time.Second > up {
			return time.Time{}, fmt.Errorf("%w: uptime timestamp %ds beyond the proxy's uptime plus skew (%v)",
				faketls.ErrStaleTimestamp, ts, up.Truncate(time.Second))
		}
		return now.Add(p.untimedWindow()), nil
	}
	if err := faketls.CheckTimestamp(ts, now, p.o.TimeSkew, false); err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(ts), 0).Add(p.o.TimeSkew), nil
}

// untimedWindow is how long handshakes without a unix timestamp are
// remembered: the whole span of accepted FakeTLS timestamps.
func (p *Proxy) untimedWindow() time.Duration { return 2 * p.o.TimeSkew }

// ReplayStats returns the replay cache's size and evictions.
func (p *Proxy) ReplayStats() replay.Stats { return p.replay.Stats(p.o.Now()) }
