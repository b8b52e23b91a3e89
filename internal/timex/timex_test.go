package timex

import (
	"sync/atomic"
	"testing"
	"time"
)

// counter is a Watched whose Idle sends on fired.
type counter struct {
	n     atomic.Uint64
	fired chan struct{}
}

func newCounter() *counter          { return &counter{fired: make(chan struct{}, 2)} }
func (c *counter) Activity() uint64 { return c.n.Load() }
func (c *counter) Idle()            { c.fired <- struct{}{} }
func (c *counter) firedCount() int  { return len(c.fired) }
func (c *counter) Add(delta uint64) { c.n.Add(delta) }

// The checks themselves, driven by hand with a period no timer reaches:
// the first check only records the counter (a whole period must pass
// before a connection can be idle); then a counter that moves between
// checks keeps the connection alive, one that stands still for a whole
// period fires.
func TestWatchdogChecks(t *testing.T) {
	var ws Watchdogs
	c := newCounter()
	d := ws.Start(MaxDuration, c)
	defer d.Stop()
	if d.check() {
		t.Fatal("idle at the first check, less than a period after Start")
	}
	for i := range 5 {
		c.Add(1)
		if d.check() {
			t.Fatalf("check %d: idle although the counter moved", i)
		}
	}
	if d.Fired() {
		t.Fatal("fired while active")
	}
	if !d.check() || !d.Fired() {
		t.Fatal("a counter standing still for a period is not idle")
	}
}

// A real timer fires Idle once for a silent connection and not for one
// that was stopped; both leave the list.
func TestWatchdogFires(t *testing.T) {
	var ws Watchdogs
	silent, stopped := newCounter(), newCounter()
	d := ws.Start(time.Millisecond, silent)
	defer d.Stop()
	ws.Start(time.Millisecond, stopped).Stop()
	select {
	case <-silent.fired:
	case <-time.After(20 * time.Second):
		t.Fatal("Idle was not called")
	}
	if !d.Fired() {
		t.Fatal("Fired is false after Idle")
	}
	if stopped.firedCount() != 0 {
		t.Fatal("a stopped watchdog fired")
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if s := ws.sweep[time.Millisecond]; s.head != nil {
		t.Fatal("the list still holds watchdogs after they fired or stopped")
	}
}

// A period of 0 or less watches nothing: there is no timer to fire.
func TestWatchdogDisabled(t *testing.T) {
	var ws Watchdogs
	for _, p := range []time.Duration{0, -time.Second} {
		c := newCounter()
		d := ws.Start(p, c)
		if d.s != nil || ws.sweep != nil {
			t.Fatalf("period %v armed a timer", p)
		}
		d.Stop()
	}
}
