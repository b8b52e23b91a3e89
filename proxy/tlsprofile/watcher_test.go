package tlsprofile

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

type recorder struct {
	mu       sync.Mutex
	probed   []Observation
	failed   []error
	fallback []bool
	changed  chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 100)} }

func (r *recorder) ProfileProbed(ob Observation) {
	r.mu.Lock()
	r.probed = append(r.probed, ob)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *recorder) ProfileFailed(err error, fallback bool) {
	r.mu.Lock()
	r.failed, r.fallback = append(r.failed, err), append(r.fallback, fallback)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func TestWatcherFallsBackThenFollowsTheSite(t *testing.T) {
	f := tlsfront.Start(t, domain)
	// The site's address answers nothing yet: a listener that is closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	target := addr
	var mu sync.Mutex
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		mu.Lock()
		a := target
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, a)
	}
	rec := newRecorder()
	w, err := NewWatcher(Options{Addr: "site:443", ServerName: domain, Dial: dial}, rec)
	if err != nil {
		t.Fatal(err)
	}
	fb := w.Profile()
	if s := w.State(); !s.Fallback || s.Observation != nil || fb.Validate() != nil {
		t.Fatalf("initial state %+v", s)
	}

	if err := w.Refresh(ctx(t)); ResultOf(err) != ResultDialFailed {
		t.Fatalf("refresh with the site down: %v", err)
	}
	if s := w.State(); !s.Fallback || s.Profile != fb || s.LastErr == nil || len(rec.fallback) != 1 || !rec.fallback[0] {
		t.Fatalf("after a failure: %+v, observer %v", s, rec.fallback)
	}

	mu.Lock()
	target = f.Addr()
	mu.Unlock()
	if err := w.Refresh(ctx(t)); err != nil {
		t.Fatal(err)
	}
	s := w.State()
	if s.Fallback || s.Observation == nil || s.Profile != &s.Observation.Profile || len(rec.probed) != 1 {
		t.Fatalf("after a probe: %+v", s)
	}
	probed := w.Profile()

	// The site goes away: the recorded profile stays.
	mu.Lock()
	target = addr
	mu.Unlock()
	if err := w.Refresh(ctx(t)); err == nil {
		t.Fatal("refresh of a gone site succeeded")
	}
	if s := w.State(); s.Fallback || w.Profile() != probed || s.LastErr == nil || rec.fallback[1] {
		t.Fatalf("after a later failure: %+v, observer %v", s, rec.fallback)
	}
}

func TestWatcherRunProbesAndStops(t *testing.T) {
	f := tlsfront.Start(t, domain)
	rec := newRecorder()
	w, err := NewWatcher(Options{Addr: f.Addr(), ServerName: domain, Interval: time.Hour}, rec)
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx(t))
	done := make(chan struct{})
	go func() { w.Run(c); close(done) }()
	select {
	case <-rec.changed:
	case <-c.Done():
		t.Fatal("no probe")
	}
	if w.State().Fallback {
		t.Fatalf("still the fallback: %v", w.State().LastErr)
	}
	cancel()
	<-done
}

func TestNewWatcherNeedsTheSite(t *testing.T) {
	if _, err := NewWatcher(Options{ServerName: domain}, nil); err == nil {
		t.Error("no Addr accepted")
	}
	if _, err := NewWatcher(Options{Addr: "a:443"}, nil); err == nil {
		t.Error("no ServerName accepted")
	}
	var pe *ProbeError
	if errors.As(errors.New("x"), &pe) || ResultOf(errors.New("x")) != ResultBadAnswer || ResultOf(nil) != ResultOK {
		t.Error("ResultOf")
	}
}
