package dcprobe

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/testkit/badpeer"
)

// A DC is up when one address answers MTProto; a DC whose addresses all
// accept TCP without answering is down, with the most telling reason.
func TestProberStates(t *testing.T) {
	live := fakeDC(t)
	silent := bad(t, badpeer.Silent)
	http := bad(t, badpeer.HTTP400)
	dead := closedAddr(t)
	targets := map[int][]netip.AddrPort{1: {dead, live}, 2: {dead, silent, http}}
	obs := newRec()
	p := &Prober{Targets: func() map[int][]netip.AddrPort { return targets }, Observer: obs,
		Method: &MTProto{Timeout: testTimeout}}

	h := p.Round(context.Background())
	if !h[1].Up || h[1].Answered != 1 || h[1].Addrs != 2 || h[1].ConnectTime <= 0 || h[1].RTT <= 0 {
		t.Errorf("DC 1 = %+v, want up with one answer of two", h[1])
	}
	if h[2].Up || h[2].Failures != 1 || h[2].Reason.Result != dc.NotMTProto || h[2].Reason.Addr != http {
		t.Errorf("DC 2 = %+v, want down for the HTTP answer", h[2])
	}
	want := map[netip.AddrPort]dc.Result{live: dc.OK, dead: dc.Refused, silent: dc.NoAnswer, http: dc.NotMTProto}
	for a, r := range want {
		if obs.probes[a].Result != r {
			t.Errorf("%v probed %v, want %v", a, obs.probes[a].Result, r)
		}
	}
	if len(obs.changes) != 2 || obs.changes[0].target != 1 || !obs.changes[0].up || obs.changes[1].up {
		t.Errorf("first round changes = %+v", obs.changes)
	}

	// DC 1 loses its answering address: one change reported; DC 2 stays down: none.
	targets = map[int][]netip.AddrPort{1: {silent}, 2: {dead}}
	h = p.Round(context.Background())
	if h[1].Up || h[1].Reason.Result != dc.NoAnswer || h[2].Failures != 2 {
		t.Errorf("second round: %+v", h)
	}
	if len(obs.changes) != 3 || obs.changes[2].target != 1 || obs.changes[2].up {
		t.Errorf("changes = %+v", obs.changes)
	}
}

func TestProberInterruptedRoundKeepsState(t *testing.T) {
	live := fakeDC(t)
	p := &Prober{Targets: func() map[int][]netip.AddrPort { return map[int][]netip.AddrPort{1: {live}} },
		Method: &MTProto{Timeout: testTimeout}}
	p.Round(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if h := p.Round(ctx); !h[1].Up {
		t.Fatalf("a cancelled round marked DC 1 down: %+v", h[1])
	}
}

// Run probes at once, then again every interval.
func TestProberRuns(t *testing.T) {
	live := fakeDC(t)
	obs := newRec()
	p := &Prober{Targets: func() map[int][]netip.AddrPort { return map[int][]netip.AddrPort{2: {live}} },
		Method: &MTProto{Timeout: testTimeout}, Interval: 10 * time.Millisecond, Observer: obs}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for obs.probeCalls() < 3 || !p.Snapshot()[2].Up {
		if time.Now().After(deadline) {
			t.Fatalf("%d probes after 30s", obs.probeCalls())
		}
		time.Sleep(5 * time.Millisecond) // polling the condition
	}
	cancel()
	<-done
}

func TestJitter(t *testing.T) {
	for range 1000 {
		if d := jittered(time.Second); d < 900*time.Millisecond || d > 1100*time.Millisecond {
			t.Fatalf("jittered(1s) = %v", d)
		}
	}
}
