package middle

import (
	"context"
	"sync"
	"time"
)

// recObserver records the events it receives.
type recObserver struct {
	mu         sync.Mutex
	handshakes []HandshakeEvent
	hsAt       []time.Time // when each handshake event arrived
	closes     []CloseEvent
	refreshes  []RefreshEvent
	dates      []DateEvent
}

func (o *recObserver) Handshake(_ context.Context, ev HandshakeEvent) {
	o.mu.Lock()
	o.handshakes = append(o.handshakes, ev)
	o.hsAt = append(o.hsAt, time.Now())
	o.mu.Unlock()
}
func (o *recObserver) ConnClosed(ev CloseEvent) {
	o.mu.Lock()
	o.closes = append(o.closes, ev)
	o.mu.Unlock()
}
func (o *recObserver) Refresh(ev RefreshEvent) {
	o.mu.Lock()
	o.refreshes = append(o.refreshes, ev)
	o.mu.Unlock()
}
func (o *recObserver) HTTPDate(ev DateEvent) {
	o.mu.Lock()
	o.dates = append(o.dates, ev)
	o.mu.Unlock()
}

func (o *recObserver) handshakeResults() map[HandshakeResult]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := map[HandshakeResult]int{}
	for _, ev := range o.handshakes {
		m[ev.Result]++
	}
	return m
}

func (o *recObserver) handshakeEvents() ([]HandshakeEvent, []time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]HandshakeEvent(nil), o.handshakes...), append([]time.Time(nil), o.hsAt...)
}

func (o *recObserver) closeEvents() []CloseEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]CloseEvent(nil), o.closes...)
}

func (o *recObserver) closeReasons() map[CloseReason]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := map[CloseReason]int{}
	for _, ev := range o.closes {
		m[ev.Reason]++
	}
	return m
}

func (o *recObserver) refreshResults(f File) []RefreshResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []RefreshResult
	for _, ev := range o.refreshes {
		if ev.File == f {
			out = append(out, ev.Result)
		}
	}
	return out
}
