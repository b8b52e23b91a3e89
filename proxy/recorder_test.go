package proxy_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/direct"
)

// eventWait bounds every wait for an engine event. It is a failure guard,
// not a pace: waits end as soon as the event is recorded.
const eventWait = 30 * time.Second

// events is a snapshot of everything a recorder saw, in arrival order.
type events struct {
	Accepted   int
	Rejected   []proxy.RejectReason
	Handshakes []proxy.HandshakeEvent
	Stages     []proxy.StageEvent
	Fronting   []proxy.FrontingEvent
	Dials      []direct.DialEvent
	Closed     []proxy.CloseEvent
	// TrafficCalls counts Observer.Traffic calls per {secret, dc}.
	TrafficCalls map[[2]int]int
}

// recorder is an Observer of the engine and of the direct upstream that
// keeps every event. It is safe for
// concurrent use; wait blocks until a condition on the events holds,
// woken by each new event.
type recorder struct {
	mu      sync.Mutex
	ev      events
	traffic map[[2]int]*proxy.Traffic
	changed chan struct{}
}

var (
	_ proxy.Observer  = (*recorder)(nil)
	_ direct.Observer = (*recorder)(nil)
)

func newRecorder() *recorder {
	return &recorder{
		ev:      events{TrafficCalls: map[[2]int]int{}},
		traffic: map[[2]int]*proxy.Traffic{},
		changed: make(chan struct{}),
	}
}

// record applies f to the events and wakes the waiters.
func (r *recorder) record(f func(*events)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.ev)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) ClientAccepted() { r.record(func(e *events) { e.Accepted++ }) }

func (r *recorder) ClientRejected(reason proxy.RejectReason) {
	r.record(func(e *events) { e.Rejected = append(e.Rejected, reason) })
}

func (r *recorder) Handshake(_ context.Context, ev proxy.HandshakeEvent) {
	r.record(func(e *events) { e.Handshakes = append(e.Handshakes, ev) })
}

func (r *recorder) ClientStage(ev proxy.StageEvent) {
	r.record(func(e *events) { e.Stages = append(e.Stages, ev) })
}

func (r *recorder) Fronting(ev proxy.FrontingEvent) {
	r.record(func(e *events) { e.Fronting = append(e.Fronting, ev) })
}

func (r *recorder) UpstreamDial(_ context.Context, ev direct.DialEvent) {
	r.record(func(e *events) { e.Dials = append(e.Dials, ev) })
}

func (r *recorder) ClientClosed(ev proxy.CloseEvent) {
	r.record(func(e *events) { e.Closed = append(e.Closed, ev) })
}

// Traffic hands out one stable pair of counters per {secret, dc}.
func (r *recorder) Traffic(secret, dc int) *proxy.Traffic {
	k := [2]int{secret, dc}
	var tr *proxy.Traffic
	r.record(func(e *events) {
		e.TrafficCalls[k]++
		if tr = r.traffic[k]; tr == nil {
			tr = new(proxy.Traffic)
			r.traffic[k] = tr
		}
	})
	return tr
}

// counters returns the Traffic counters of {secret, dc}, nil if never asked for.
func (r *recorder) counters(secret, dc int) *proxy.Traffic {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.traffic[[2]int{secret, dc}]
}

// snapshot returns a deep copy of the events so far.
func (r *recorder) snapshot() events {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ev.clone()
}

func (e events) clone() events {
	c := e
	c.Rejected = append([]proxy.RejectReason(nil), e.Rejected...)
	c.Handshakes = append([]proxy.HandshakeEvent(nil), e.Handshakes...)
	c.Stages = append([]proxy.StageEvent(nil), e.Stages...)
	c.Fronting = append([]proxy.FrontingEvent(nil), e.Fronting...)
	c.Dials = append([]direct.DialEvent(nil), e.Dials...)
	c.Closed = append([]proxy.CloseEvent(nil), e.Closed...)
	c.TrafficCalls = make(map[[2]int]int, len(e.TrafficCalls))
	for k, v := range e.TrafficCalls {
		c.TrafficCalls[k] = v
	}
	return c
}

// wait blocks until cond holds for the events and returns them; it fails
// the test after eventWait, naming what it waited for.
func (r *recorder) wait(t testing.TB, what string, cond func(events) bool) events {
	t.Helper()
	timeout := time.NewTimer(eventWait)
	defer timeout.Stop()
	for {
		r.mu.Lock()
		ev, ch := r.ev.clone(), r.changed
		r.mu.Unlock()
		if cond(ev) {
			return ev
		}
		select {
		case <-ch:
		case <-timeout.C:
			t.Fatalf("waited %v for %s; events: %s", eventWait, what, ev)
			return ev
		}
	}
}

// waitClosed waits until n connections have ended. Every accepted
// connection reports ClientClosed once, last, so the snapshot holds all of
// their events.
func (r *recorder) waitClosed(t testing.TB, n int) events {
	t.Helper()
	return r.wait(t, fmt.Sprintf("%d closed connections", n), func(e events) bool { return len(e.Closed) >= n })
}

// waitHandshakes waits until n handshakes have ended.
func (r *recorder) waitHandshakes(t testing.TB, n int) events {
	t.Helper()
	return r.wait(t, fmt.Sprintf("%d handshakes", n), func(e events) bool { return len(e.Handshakes) >= n })
}

func (e events) String() string {
	return fmt.Sprintf("accepted %d, rejected %v, handshakes %+v, fronting %+v, dials %+v, closed %+v",
		e.Accepted, e.Rejected, e.Handshakes, e.Fronting, e.Dials, e.Closed)
}

// The recorder's wait must wake on events from other goroutines and see
// all of them: the tests below rely on it instead of sleeping.
func TestRecorderWaitsForEvents(t *testing.T) {
	r := newRecorder()
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r.ClientAccepted()
			r.ClientClosed(proxy.CloseEvent{Secret: i})
		})
	}
	ev := r.waitClosed(t, n)
	wg.Wait()
	if ev.Accepted < len(ev.Closed) || len(ev.Closed) != n {
		t.Fatalf("saw %d accepted, %d closed", ev.Accepted, len(ev.Closed))
	}
	if a, b := r.Traffic(1, 2), r.Traffic(1, 2); a != b || r.Traffic(1, -2) == a {
		t.Fatal("Traffic must hand out one counter pair per secret and DC")
	}
	if got := r.snapshot().TrafficCalls[[2]int{1, 2}]; got != 2 {
		t.Fatalf("counted %d Traffic calls, want 2", got)
	}
}
