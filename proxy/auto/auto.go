package auto

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
)

// Auto is the upstream of MODE=auto: per DC, the middle proxies when they
// can serve, direct otherwise (see the package doc). Create it with New,
// hand it to the engine, and run [Auto.Run] beside it.
type Auto struct {
	o Options

	mu     sync.Mutex
	states map[int]*dcState // fixed at New: read without the lock
	other  *dcState
}

var _ proxy.Upstream = (*Auto)(nil)

// dcState is one DC's state; guarded by Auto.mu.
type dcState struct {
	dc     int // the id whose middle proxies are judged (0: the default DC's)
	other  bool
	path   Path
	reason Reason
	since  time.Time
	// downSince is when the DC was first seen without a ready middle-proxy
	// connection since it last had one; zero while it has one.
	downSince time.Time
}

// New validates o, fills in defaults and returns an Auto whose DCs start on
// the middle path when the middle layer is running (Telegram's files were
// in), else on the direct path. It does no I/O.
func New(o Options) (*Auto, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.setDefaults()
	path, reason := PathDirect, ReasonNoFiles
	if o.Middle.Running() {
		path, reason = PathMiddle, ReasonFilesAtStart
	}
	now := o.Now()
	a := &Auto{o: o, states: make(map[int]*dcState, 2*len(o.DCs))}
	for _, id := range o.DCs {
		for _, x := range []int{id, -id} {
			if a.states[x] == nil {
				a.states[x] = &dcState{dc: x, path: path, reason: reason, since: now}
			}
		}
	}
	a.other = &dcState{other: true, path: path, reason: reason, since: now}
	return a, nil
}

// Serve carries the client over its DC's path now, and keeps it there
// until it ends.
func (a *Auto) Serve(ctx context.Context, s *proxy.Session) error {
	if a.route(s.DC) == PathMiddle {
		return a.o.Middle.Serve(ctx, s)
	}
	return a.o.Direct.Serve(ctx, s)
}

// route evaluates the state of dc and returns the path for a new client.
func (a *Auto) route(dc int) Path {
	st := a.stateOf(dc)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evaluate(st, a.o.Now())
	return st.path
}

func (a *Auto) stateOf(dc int) *dcState {
	if st := a.states[dc]; st != nil {
		return st
	}
	return a.other
}

// Path returns the path a new client of dc would take now, as last
// evaluated (it does not evaluate).
func (a *Auto) Path(dc int) Path {
	st := a.stateOf(dc)
	a.mu.Lock()
	defer a.mu.Unlock()
	return st.path
}

// Check evaluates every DC now; Run calls it every CheckInterval.
func (a *Auto) Check() {
	now := a.o.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range a.states {
		a.evaluate(st, now)
	}
	a.evaluate(a.other, now)
}

// Run calls Check every CheckInterval until ctx is done.
func (a *Auto) Run(ctx context.Context) {
	t := time.NewTicker(a.o.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.Check()
		}
	}
}

// evaluate moves st along the state machine; the caller holds a.mu.
func (a *Auto) evaluate(st *dcState, now time.Time) {
	ready := a.o.Middle.DCReady(st.dc)
	if ready {
		st.downSince = time.Time{}
	} else if st.downSince.IsZero() {
		st.downSince = now
	}
	switch {
	case st.path == PathDirect && ready:
		a.switchTo(st, PathMiddle, ReasonMiddleReady, now, 0)
	case st.path == PathMiddle && !ready && a.o.Threshold >= 0 && now.Sub(st.downSince) > a.o.Threshold:
		a.switchTo(st, PathDirect, ReasonMiddleDown, now, now.Sub(st.downSince))
	}
}

func (a *Auto) switchTo(st *dcState, to Path, reason Reason, now time.Time, down time.Duration) {
	ev := SwitchEvent{DC: st.dc, Other: st.other, From: st.path, To: to, Reason: reason, Down: down}
	if st.path == PathDirect {
		ev.Direct = now.Sub(st.since)
	}
	st.path, st.reason, st.since = to, reason, now
	a.o.Observer.PathSwitched(ev)
}

// Paths returns every DC's path, sorted by id, the shared state of the
// other ids last.
func (a *Auto) Paths() []DCPath {
	a.mu.Lock()
	out := make([]DCPath, 0, len(a.states)+1)
	for _, st := range a.states {
		out = append(out, st.snapshot())
	}
	other := a.other.snapshot()
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y DCPath) int { return x.DC - y.DC })
	return append(out, other)
}

func (st *dcState) snapshot() DCPath {
	return DCPath{DC: st.dc, Other: st.other, Path: st.path, Reason: st.reason, Since: st.since}
}
