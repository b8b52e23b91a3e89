package timex

import (
	"sync/atomic"
	"testing"
	"time"
)

// The checks themselves, driven by hand with a period no timer reaches:
// a counter that moves between checks keeps the connection alive, one
// that stands still for a whole period fires.
func TestWatchdogChecks(t *testing.T) {
	var n atomic.Uint64
	w := StartWatchdog(MaxDuration, n.Load, func() {})
	defer w.Stop()
	for i := range 5 {
		n.Add(1)
		if w.idle() {
			t.Fatalf("check %d: idle although the counter moved", i)
		}
	}
	if w.Fired() {
		t.Fatal("fired while active")
	}
	if !w.idle() || !w.Fired() {
		t.Fatal("a counter standing still for a period is not idle")
	}
}

// Activity before the first check counts: a watchdog started on a counter
// that has moved since is not idle at its first check.
func TestWatchdogFirstCheck(t *testing.T) {
	var n atomic.Uint64
	n.Store(7)
	w := StartWatchdog(MaxDuration, n.Load, func() {})
	defer w.Stop()
	n.Add(1)
	if w.idle() {
		t.Fatal("idle at the first check although the counter moved since the start")
	}
}

// A real timer fires onIdle once for a silent connection.
func TestWatchdogFires(t *testing.T) {
	var n atomic.Uint64
	fired := make(chan struct{}, 2)
	w := StartWatchdog(time.Millisecond, n.Load, func() { fired <- struct{}{} })
	defer w.Stop()
	select {
	case <-fired:
	case <-time.After(20 * time.Second):
		t.Fatal("onIdle was not called")
	}
	if !w.Fired() {
		t.Fatal("Fired is false after onIdle")
	}
}

// A period of 0 or less arms nothing: there is no timer to fire.
func TestWatchdogDisabled(t *testing.T) {
	for _, p := range []time.Duration{0, -time.Second} {
		w := StartWatchdog(p, func() uint64 { return 0 }, func() { t.Error("onIdle called") })
		if w.t != nil {
			t.Fatalf("period %v armed a timer", p)
		}
		w.Stop()
	}
}
