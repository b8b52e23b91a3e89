package timex

import (
	"sync"
	"sync/atomic"
	"time"
)

// Watched is a connection a [Watchdog] watches.
type Watched interface {
	// Activity is a counter that moves whenever the connection carries
	// bytes. It is called with the Watchdogs' lock held: it must only
	// read (an atomic load).
	Activity() uint64
	// Idle is called once, from the Watchdogs' timer goroutine and
	// without its lock, when the counter stood still for a whole period.
	Idle()
}

// Watchdogs watches the activity of many connections with one timer per
// period, instead of a timer per connection: each Watchdog costs a small
// struct in a list (an idle client holds it for its whole life). It
// replaces per-read deadlines: the watched connections do nothing per
// read but increment their counter, and the timer looks at every counter
// once a period. The zero value is ready to use; timers run only while
// something is watched.
type Watchdogs struct {
	mu    sync.Mutex
	sweep map[time.Duration]*sweep
}

// sweep is the list of the watchdogs of one period and its timer.
type sweep struct {
	ws     *Watchdogs
	period time.Duration
	head   *Watchdog
	t      *time.Timer
	armed  bool
}

// Watchdog is one watched connection; see [Watchdogs.Start].
type Watchdog struct {
	w          Watched
	s          *sweep // nil when the period watches nothing
	prev, next *Watchdog
	last       uint64 // the counter at the previous check
	fresh      bool   // no check yet: the next one only records the counter
	linked     bool
	fired      atomic.Bool
}

// Start starts watching w: w.Idle is called once when its counter has
// stayed the same from one check to the next, a period apart, which is
// after between one and two idle periods (never before a whole period
// after Start). A period of 0 or less watches nothing: Idle is never
// called.
func (ws *Watchdogs) Start(period time.Duration, w Watched) *Watchdog {
	d := &Watchdog{w: w}
	if period <= 0 {
		return d
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	s := ws.sweep[period]
	if s == nil {
		if ws.sweep == nil {
			ws.sweep = map[time.Duration]*sweep{}
		}
		s = &sweep{ws: ws, period: period}
		s.t = time.AfterFunc(MaxDuration, s.run)
		ws.sweep[period] = s
	}
	d.s, d.fresh, d.linked = s, true, true
	d.next = s.head
	if s.head != nil {
		s.head.prev = d
	}
	s.head = d
	if !s.armed {
		s.armed = true
		s.t.Reset(period)
	}
	return d
}

// Stop stops the watchdog. Idle may still run if it had already started.
func (d *Watchdog) Stop() {
	if d.s == nil {
		return
	}
	d.s.ws.mu.Lock()
	d.s.unlink(d)
	d.s.ws.mu.Unlock()
}

// Fired reports whether the watchdog found the connection idle and called
// (or is calling) Idle.
func (d *Watchdog) Fired() bool { return d.fired.Load() }

// check is one check of d: it reports (and records) that the counter has
// not moved since the previous one. A fresh watchdog only records it.
func (d *Watchdog) check() bool {
	now := d.w.Activity()
	if d.fresh || now != d.last {
		d.fresh, d.last = false, now
		return false
	}
	d.fired.Store(true)
	return true
}

// unlink takes d off the list; the caller holds the lock.
func (s *sweep) unlink(d *Watchdog) {
	if !d.linked {
		return
	}
	if d.prev != nil {
		d.prev.next = d.next
	} else {
		s.head = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	}
	d.prev, d.next, d.linked = nil, nil, false
}

// run checks every watchdog of the period, then calls Idle of those found
// idle, outside the lock (Idle closes connections, whose ends Stop other
// watchdogs). The timer is re-armed while the list is not empty.
func (s *sweep) run() {
	var idle []*Watchdog
	s.ws.mu.Lock()
	for d := s.head; d != nil; {
		next := d.next
		if d.check() {
			s.unlink(d)
			idle = append(idle, d)
		}
		d = next
	}
	if s.armed = s.head != nil; s.armed {
		s.t.Reset(s.period)
	}
	s.ws.mu.Unlock()
	for _, d := range idle {
		d.w.Idle()
	}
}
