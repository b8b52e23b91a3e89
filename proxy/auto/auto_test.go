package auto

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
)

// fakeMiddle is a middle layer whose files and per-DC readiness the test
// sets; Serve records the DC it served.
type fakeMiddle struct {
	mu      sync.Mutex
	running bool
	ready   map[int]bool // by the id DCReady is asked
	served  []int
}

func (f *fakeMiddle) Running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running
}

func (f *fakeMiddle) DCReady(dc int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running && f.ready[dc]
}

func (f *fakeMiddle) set(running bool, ready ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = running
	f.ready = map[int]bool{}
	for _, id := range ready {
		f.ready[id] = true
	}
}

func (f *fakeMiddle) Serve(_ context.Context, s *proxy.Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served = append(f.served, s.DC)
	return errMiddle
}

type fakeDirect struct {
	mu     sync.Mutex
	served []int
}

func (f *fakeDirect) Serve(_ context.Context, s *proxy.Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served = append(f.served, s.DC)
	return errDirect
}

var errMiddle, errDirect = errors.New("served by middle"), errors.New("served by direct")

// clock is a manual clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type recorder struct {
	mu  sync.Mutex
	evs []SwitchEvent
}

func (r *recorder) PathSwitched(ev SwitchEvent) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) events() []SwitchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SwitchEvent(nil), r.evs...)
}

type bench struct {
	t   *testing.T
	mid *fakeMiddle
	dir *fakeDirect
	clk *clock
	rec *recorder
	a   *Auto
}

func newBench(t *testing.T, running bool, o Options) *bench {
	t.Helper()
	b := &bench{t: t, mid: &fakeMiddle{}, dir: &fakeDirect{}, clk: &clock{t: time.Unix(1_700_000_000, 0)}, rec: &recorder{}}
	b.mid.set(running)
	o.Middle, o.Direct, o.Now, o.Observer = b.mid, b.dir, b.clk.Now, b.rec
	if o.DCs == nil {
		o.DCs = []int{1, 2, 3}
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	b.a = a
	return b
}

// serve serves one new client of dc and returns the path it took.
func (b *bench) serve(dc int) Path {
	b.t.Helper()
	err := b.a.Serve(context.Background(), &proxy.Session{DC: dc})
	switch {
	case errors.Is(err, errMiddle):
		return PathMiddle
	case errors.Is(err, errDirect):
		return PathDirect
	}
	b.t.Fatalf("Serve: %v", err)
	return 0
}

func TestNewNeedsBothUpstreams(t *testing.T) {
	if _, err := New(Options{Direct: &fakeDirect{}}); !errors.Is(err, ErrNoMiddle) {
		t.Errorf("no Middle: %v", err)
	}
	if _, err := New(Options{Middle: &fakeMiddle{}}); !errors.Is(err, ErrNoDirect) {
		t.Errorf("no Direct: %v", err)
	}
}

// No files at start: every DC serves direct at once; each DC switches to
// middle as soon as its own middle proxies are ready, the others stay.
func TestNoFilesThenMiddlePerDC(t *testing.T) {
	b := newBench(t, false, Options{})
	for _, dc := range []int{2, -2, 7} {
		if got := b.serve(dc); got != PathDirect {
			t.Fatalf("DC %d before the files: %v, want direct", dc, got)
		}
	}
	for _, p := range b.a.Paths() {
		if p.Path != PathDirect || p.Reason != ReasonNoFiles {
			t.Fatalf("%+v, want direct for no_files", p)
		}
	}
	b.mid.set(true, 2) // files in; only DC 2's middle proxies ready yet
	b.clk.add(time.Second)
	if got := b.serve(2); got != PathMiddle {
		t.Fatalf("DC 2 with its middle proxies ready: %v, want middle", got)
	}
	if got := b.serve(-2); got != PathDirect {
		t.Fatalf("DC -2 without ready middle proxies: %v, want direct", got)
	}
	evs := b.rec.events()
	if len(evs) != 1 || evs[0].DC != 2 || evs[0].From != PathDirect || evs[0].To != PathMiddle ||
		evs[0].Reason != ReasonMiddleReady || evs[0].Direct != time.Second {
		t.Fatalf("events %+v, want one switch of DC 2 to middle after 1s direct", evs)
	}
	// Check moves the DCs without clients, and "other" follows the
	// default DC's middle proxies (asked as DC 0).
	b.mid.set(true, 2, -2, 0)
	b.a.Check()
	for _, p := range b.a.Paths() {
		want := PathDirect
		if p.DC == 2 || p.DC == -2 || p.Other {
			want = PathMiddle
		}
		if p.Path != want {
			t.Errorf("%+v, want %v", p, want)
		}
	}
	if got := b.serve(7); got != PathMiddle {
		t.Errorf("DC 7 (other): %v, want middle", got)
	}
	if n := len(b.rec.events()); n != 3 {
		t.Errorf("%d switches, want 3 (2, -2, other)", n)
	}
}

// Files at start: middle at once, even before a connection is ready (the
// middle layer waits for one); down for longer than Threshold, direct; back
// when ready again. Each switch is reported once.
func TestFallbackBothWays(t *testing.T) {
	b := newBench(t, true, Options{Threshold: 30 * time.Second})
	if got := b.serve(2); got != PathMiddle {
		t.Fatalf("at start with files: %v, want middle", got)
	}
	b.mid.set(true, 2)
	b.a.Check()
	b.mid.set(true) // DC 2's middle proxies die
	b.a.Check()     // first seen down now
	b.clk.add(30 * time.Second)
	if got := b.serve(2); got != PathMiddle {
		t.Fatalf("down for exactly the threshold: %v, want middle still", got)
	}
	b.clk.add(time.Second)
	if got := b.serve(2); got != PathDirect {
		t.Fatalf("down for longer than the threshold: %v, want direct", got)
	}
	b.a.Check()
	b.serve(2)
	var down []SwitchEvent
	for _, ev := range b.rec.events() {
		if ev.DC == 2 {
			down = append(down, ev)
		}
	}
	if len(down) != 1 || down[0].To != PathDirect || down[0].Reason != ReasonMiddleDown || down[0].Down != 31*time.Second {
		t.Fatalf("DC 2 switches %+v, want one to direct after 31s down", down)
	}
	b.clk.add(time.Minute)
	b.mid.set(true, 2) // back
	if got := b.serve(2); got != PathMiddle {
		t.Fatalf("recovered: %v, want middle", got)
	}
	last := b.rec.events()[len(b.rec.events())-1]
	if last.DC != 2 || last.To != PathMiddle || last.Reason != ReasonMiddleReady || last.Direct != time.Minute {
		t.Fatalf("last switch %+v, want DC 2 back to middle after a minute direct", last)
	}
	if b.a.Path(2) != PathMiddle || b.a.Path(1) != PathDirect {
		t.Errorf("Path(2) %v Path(1) %v", b.a.Path(2), b.a.Path(1))
	}
}

// A short outage, shorter than the threshold, switches nothing, and the
// down time starts again after each recovery.
func TestShortOutagesDoNotSwitch(t *testing.T) {
	b := newBench(t, true, Options{Threshold: 10 * time.Second})
	for range 5 {
		b.mid.set(true, 1, 2, 3, -1, -2, -3, 0)
		b.a.Check()
		b.mid.set(true)
		b.a.Check()
		b.clk.add(9 * time.Second)
		b.a.Check()
	}
	if evs := b.rec.events(); len(evs) != 0 {
		t.Fatalf("switches %+v, want none", evs)
	}
}

// A negative Threshold never falls back; with no files at start the DCs
// still begin direct and move to middle.
func TestNoFallback(t *testing.T) {
	b := newBench(t, false, Options{Threshold: -1})
	if b.serve(1) != PathDirect {
		t.Fatal("no files: want direct")
	}
	b.mid.set(true, 1)
	b.a.Check()
	b.mid.set(true)
	b.clk.add(24 * time.Hour)
	b.a.Check()
	if got := b.serve(1); got != PathMiddle {
		t.Fatalf("fallback disabled: %v, want middle", got)
	}
}

// Run evaluates on its own, so the path of a DC without clients is
// current; it stops with its context.
func TestRunChecks(t *testing.T) {
	b := newBench(t, false, Options{CheckInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.a.Run(ctx); close(done) }()
	b.mid.set(true, 3)
	deadline := time.Now().Add(10 * time.Second)
	for b.a.Path(3) != PathMiddle {
		if time.Now().After(deadline) {
			t.Fatal("Run never moved DC 3 to middle")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

func TestNames(t *testing.T) {
	if PathMiddle.String() != "middle" || PathDirect.String() != "direct" || NumPaths.String() != "unknown" {
		t.Error("path names")
	}
	for r := range NumReasons {
		if r.String() == "unknown" {
			t.Errorf("reason %d has no name", r)
		}
	}
}
