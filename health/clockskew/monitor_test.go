package clockskew

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// manualTicker ticks when the test says so.
type manualTicker struct {
	c       chan time.Time
	stopped chan struct{}
	period  time.Duration
}

func (m *manualTicker) C() <-chan time.Time { return m.c }
func (m *manualTicker) Stop()               { close(m.stopped) }

func waitEvent(t *testing.T, obs *recordingObserver) {
	t.Helper()
	select {
	case <-obs.events:
	case <-time.After(5 * time.Second):
		t.Fatal("no observer event")
	}
}

func TestMonitorLoop(t *testing.T) {
	srv := newSNTPServer(t, 4*time.Second)
	tick := &manualTicker{c: make(chan time.Time), stopped: make(chan struct{})}
	obs := newRecordingObserver()
	m, err := NewMonitor(Options{
		Servers:  []string{srv.addr()},
		Timeout:  time.Second,
		Interval: 3 * time.Minute,
		NewTicker: func(d time.Duration) Ticker {
			tick.period = d
			return tick
		},
	}, obs)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := m.Worst(); ok {
		t.Fatal("Worst before any sample")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()

	// The first round runs at once, without a tick.
	waitEvent(t, obs)
	s, ok := m.Latest(SourceNTP)
	if !ok || !near(s.Offset, -4*time.Second) {
		t.Fatalf("first sample %+v, %v", s, ok)
	}
	if tick.period != 3*time.Minute {
		t.Errorf("ticker period %v", tick.period)
	}
	if _, sev, _ := m.Worst(); sev != Warning {
		t.Errorf("severity %v at -4s", sev)
	}

	// The next round waits for the tick and sees the new offset.
	srv.offset.Store(int64(-6 * time.Second))
	select {
	case <-obs.events:
		t.Fatal("measured without a tick")
	case <-time.After(50 * time.Millisecond):
	}
	tick.c <- time.Now()
	waitEvent(t, obs)
	if s, _ := m.Latest(SourceNTP); !near(s.Offset, 6*time.Second) {
		t.Fatalf("second sample %+v", s)
	}
	if w, sev, _ := m.Worst(); sev != Critical || w.Source != SourceNTP {
		t.Errorf("worst %+v %v", w, sev)
	}

	// A failed round keeps the previous sample and is reported.
	srv.silent.Store(true)
	tick.c <- time.Now()
	waitEvent(t, obs) // the server's failure
	waitEvent(t, obs) // the round's failure
	if s, _ := m.Latest(SourceNTP); !near(s.Offset, 6*time.Second) {
		t.Fatalf("sample after failure %+v", s)
	}
	_, failed := obs.snapshot()
	if len(failed) != 2 || !errors.Is(failed[1].err, ErrNoAnswer) {
		t.Fatalf("failures %+v", failed)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	select {
	case <-tick.stopped:
	default:
		t.Error("ticker not stopped")
	}
}

func TestMonitorHTTPDate(t *testing.T) {
	obs := newRecordingObserver()
	m, err := NewMonitor(Options{}, obs)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	date := now.Add(-90 * time.Second).UTC().Format(http.TimeFormat)
	s, err := m.ObserveHTTPDate("https://core.telegram.org/getProxyConfig", date, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := m.Latest(SourceHTTPDate); !ok || l != s || s.Server != "https://core.telegram.org/getProxyConfig" {
		t.Fatalf("latest %+v, %v", l, ok)
	}
	if abs(s.Offset-90*time.Second) > time.Second {
		t.Errorf("offset %v", s.Offset)
	}
	if _, sev, _ := m.Worst(); sev != Critical {
		t.Errorf("severity %v", sev)
	}
	if _, ok := m.Latest(SourceNTP); ok {
		t.Error("NTP sample without a round")
	}
	if _, err := m.ObserveHTTPDate("x", "garbage", now, now); !errors.Is(err, ErrBadDate) {
		t.Errorf("garbage: %v", err)
	}
	if l, _ := m.Latest(SourceHTTPDate); l != s {
		t.Error("a bad header replaced the latest sample")
	}
	measured, failed := obs.snapshot()
	if len(measured) != 1 || len(failed) != 1 || failed[0].source != SourceHTTPDate || failed[0].server != "x" {
		t.Errorf("observer %v / %v", measured, failed)
	}
}

func TestNewMonitorBadServer(t *testing.T) {
	if _, err := NewMonitor(Options{Servers: []string{"ok.example", "bad:port"}}, nil); !errors.Is(err, ErrBadServer) {
		t.Fatalf("err = %v", err)
	}
}
