// Package timex holds the time helpers the module's packages share: the
// idle [Watchdog] of relayed clients (used by the engine's relay in proxy
// and by the middle-proxy upstream in proxy/middle) and [MaxDuration].
package timex

import (
	"math"
	"sync/atomic"
	"time"
)

// MaxDuration is the longest time.Duration: a timer set to it never fires,
// and a saturated result cannot go beyond it.
const MaxDuration = time.Duration(math.MaxInt64)

// Watchdog calls onIdle once when an activity counter has not moved over a
// whole period. It replaces per-read deadlines: the connections it watches
// do nothing per read but increment their counter, and the watchdog looks
// at it once a period.
type Watchdog struct {
	period   time.Duration
	activity func() uint64
	onIdle   func()
	t        *time.Timer // nil when period <= 0
	last     uint64      // touched by the timer's callback only: callbacks do not overlap
	fired    atomic.Bool
}

// StartWatchdog starts watching activity, a counter that moves whenever the
// watched connection carries bytes. onIdle is called once, from the
// watchdog's own goroutine, when the counter has stayed the same from one
// check to the next, period apart: after between one and two idle
// periods. A period of 0 or less watches nothing: onIdle is never called.
func StartWatchdog(period time.Duration, activity func() uint64, onIdle func()) *Watchdog {
	w := &Watchdog{period: period, activity: activity, onIdle: onIdle}
	if period <= 0 {
		return w
	}
	w.last = activity()
	w.t = time.AfterFunc(MaxDuration, w.tick)
	w.t.Reset(period) // armed only once w.t is set, for tick's sake
	return w
}

func (w *Watchdog) tick() {
	if w.idle() {
		w.onIdle()
		return
	}
	w.t.Reset(w.period)
}

// idle is one check: it reports (and records) that the counter has not
// moved since the previous one.
func (w *Watchdog) idle() bool {
	now := w.activity()
	if now != w.last {
		w.last = now
		return false
	}
	w.fired.Store(true)
	return true
}

// Stop stops the watchdog. onIdle may still run if it had already started.
func (w *Watchdog) Stop() {
	if w.t != nil {
		w.t.Stop()
	}
}

// Fired reports whether the watchdog found the connection idle and called
// (or is calling) onIdle.
func (w *Watchdog) Fired() bool { return w.fired.Load() }
