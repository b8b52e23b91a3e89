package dc

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

type recObserver struct {
	mu      sync.Mutex
	probes  map[netip.AddrPort]Result
	changes []struct {
		dc int
		up bool
	}
}

func (r *recObserver) Probed(dc int, a netip.AddrPort, res Result, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probes[a] = res
}

func (r *recObserver) StateChanged(dc int, up bool, _ Health) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, struct {
		dc int
		up bool
	}{dc, up})
}

func TestProberStates(t *testing.T) {
	live, ln := listen(t)
	dead := closedAddr(t)
	targets := map[int][]netip.AddrPort{1: {dead, live}, 2: {dead}}
	obs := &recObserver{probes: map[netip.AddrPort]Result{}}
	p := &Prober{Targets: func() map[int][]netip.AddrPort { return targets }, Observer: obs,
		Dialer: &Dialer{Timeout: time.Second}}

	h := p.Round(context.Background())
	if !h[1].Up || h[1].Answered != 1 || h[1].Addrs != 2 || h[1].ConnectTime <= 0 {
		t.Errorf("DC 1 = %+v, want up with one answer of two", h[1])
	}
	if h[2].Up || h[2].Failures != 1 || h[2].LastError == nil {
		t.Errorf("DC 2 = %+v, want down", h[2])
	}
	if obs.probes[live] != OK || obs.probes[dead] != Refused {
		t.Errorf("probes = %v", obs.probes)
	}
	if len(obs.changes) != 2 || obs.changes[0].dc != 1 || !obs.changes[0].up || obs.changes[1].up {
		t.Errorf("first round changes = %v", obs.changes)
	}

	// DC 1 goes down: one change reported; DC 2 stays down: none.
	ln.Close()
	targets = map[int][]netip.AddrPort{1: {live}, 2: {dead}}
	h = p.Round(context.Background())
	if h[1].Up || h[2].Failures != 2 {
		t.Errorf("second round: %+v", h)
	}
	if len(obs.changes) != 3 || obs.changes[2].dc != 1 || obs.changes[2].up {
		t.Errorf("changes = %v", obs.changes)
	}
}

func TestProberInterruptedRoundKeepsState(t *testing.T) {
	live, _ := listen(t)
	p := &Prober{Targets: func() map[int][]netip.AddrPort { return map[int][]netip.AddrPort{1: {live}} }}
	p.Round(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if h := p.Round(ctx); !h[1].Up {
		t.Fatalf("a cancelled round marked DC 1 down: %+v", h[1])
	}
}
