package state

import (
	"sync"
	"sync/atomic"

	"github.com/mtproxy/mtproxy/internal/defaults"
)

// DefaultDownAfter is the default number of failed calls in a row after
// which a Tracker calls the store Down.
const DefaultDownAfter = 3

// Tracker is the store's health as this replica sees it, from the outcome
// of its calls: a success makes it Up; a failure makes it Degraded, and
// downAfter failures in a row make it Down. Reading the state is an atomic
// load, so the handshake path can ask it for free. It is safe for
// concurrent use.
type Tracker struct {
	downAfter int
	onChange  func(from, to Health)

	cur   atomic.Uint32 // Health
	mu    sync.Mutex
	fails int
}

// NewTracker returns a tracker in state Up (a store is assumed to answer
// until it does not). downAfter <= 0 means DefaultDownAfter. onChange, if
// not nil, is called on every transition, with the tracker's lock held: it
// must return quickly and must not call the tracker.
func NewTracker(downAfter int, onChange func(from, to Health)) *Tracker {
	defaults.SetPositive(&downAfter, DefaultDownAfter)
	t := &Tracker{downAfter: downAfter, onChange: onChange}
	t.cur.Store(uint32(Up))
	return t
}

// Health returns the current state.
func (t *Tracker) Health() Health { return Health(t.cur.Load()) }

// Usable reports whether calls should be made: the store is not Down.
func (t *Tracker) Usable() bool { return t.Health() != Down }

// Success records a call that succeeded.
func (t *Tracker) Success() {
	if t.Health() == Up { // the common case, without the lock
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fails = 0
	t.set(Up)
}

// Failure records a call that failed or timed out.
func (t *Tracker) Failure() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fails++
	if t.fails >= t.downAfter {
		t.set(Down)
	} else if t.Health() == Up {
		t.set(Degraded)
	}
}

// Result records err: Success when nil, Failure otherwise.
func (t *Tracker) Result(err error) {
	if err == nil {
		t.Success()
	} else {
		t.Failure()
	}
}

// set changes the state; t.mu is held.
func (t *Tracker) set(h Health) {
	from := Health(t.cur.Swap(uint32(h)))
	if from != h && t.onChange != nil {
		t.onChange(from, h)
	}
}
