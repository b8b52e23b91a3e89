package tlsprofile

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
)

// Observer receives the Watcher's probes. Implementations must be safe for
// concurrent use.
type Observer interface {
	// ProfileProbed reports a successful probe; its profile is now in use.
	ProfileProbed(ob Observation)
	// ProfileFailed reports a failed probe. fallback tells whether the
	// profile in use is the fallback one (no probe has succeeded yet).
	ProfileFailed(err error, fallback bool)
}

// State is the profile in use and where it comes from.
type State struct {
	// Profile is what FakeTLS flights are shaped after now.
	Profile *faketls.ServerProfile
	// Fallback is set while no probe has succeeded.
	Fallback bool
	// Observation is the probe the profile comes from (nil for the fallback).
	Observation *Observation
	// LastErr is the last probe's error (nil when it succeeded) and
	// LastProbe when it ran (zero before any).
	LastErr   error
	LastProbe time.Time
}

// Watcher keeps the fronting host's profile fresh. Create it with
// [NewWatcher]; its methods are safe for concurrent use.
type Watcher struct {
	o     Options
	obs   Observer
	state atomic.Pointer[State]
}

// NewWatcher returns a Watcher serving a fallback profile until its first
// successful probe; obs may be nil.
func NewWatcher(o Options, obs Observer) (*Watcher, error) {
	o = o.withDefaults()
	if o.Addr == "" || o.ServerName == "" {
		return nil, errors.New("tlsprofile: Addr and ServerName are required")
	}
	fb, err := faketls.FallbackProfile(o.Rand)
	if err != nil {
		return nil, err
	}
	if obs == nil {
		obs = nopObserver{}
	}
	w := &Watcher{o: o, obs: obs}
	w.state.Store(&State{Profile: &fb, Fallback: true})
	return w, nil
}

// Profile returns the profile in use: one atomic load, for every FakeTLS
// handshake.
func (w *Watcher) Profile() *faketls.ServerProfile { return w.state.Load().Profile }

// State returns the profile in use and its origin.
func (w *Watcher) State() State { return *w.state.Load() }

// Refresh probes now. On success the new profile is in use; on failure
// the previous one stays (the fallback until a probe succeeds).
func (w *Watcher) Refresh(ctx context.Context) error {
	ob, err := Probe(ctx, w.o)
	old := w.state.Load()
	next := *old
	next.LastErr, next.LastProbe = err, w.o.Now()
	if err == nil {
		next.Profile, next.Fallback, next.Observation = &ob.Profile, false, &ob
	}
	w.state.Store(&next)
	if err != nil {
		w.obs.ProfileFailed(err, next.Fallback)
		return err
	}
	w.obs.ProfileProbed(ob)
	return nil
}

// Run probes at once and then every Interval until ctx is done; after a
// failure it tries again after RetryInterval, doubling up to Interval.
func (w *Watcher) Run(ctx context.Context) {
	retry := w.o.RetryInterval
	for {
		wait := w.o.Interval
		if err := w.Refresh(ctx); err != nil {
			wait = min(retry, w.o.Interval)
			retry = min(2*retry, w.o.Interval)
		} else {
			retry = w.o.RetryInterval
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

type nopObserver struct{}

func (nopObserver) ProfileProbed(Observation) {}
func (nopObserver) ProfileFailed(error, bool) {}
