package middle

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/tgconfig"
)

// pool holds the targets of the config in use and those retired by a
// config swap that still carry clients.
type pool struct {
	m   *Middle
	ctx context.Context
	wg  sync.WaitGroup

	mu      sync.RWMutex
	targets map[netip.AddrPort]*target // in the config in use
	retired map[*target]struct{}
	byDC    map[int][]*target
	defDC   int
	readyCh chan struct{} // closed and replaced when a connection becomes ready
}

func newPool(m *Middle, ctx context.Context) *pool {
	return &pool{m: m, ctx: ctx, targets: map[netip.AddrPort]*target{},
		retired: map[*target]struct{}{}, byDC: map[int][]*target{}, readyCh: make(chan struct{})}
}

// backoff returns the delay before the next attempt after n consecutive
// failures: ReconnectMin doubling up to ReconnectMax, then a uniformly
// random point in its upper half ("equal jitter"), so targets failing
// together do not retry in lockstep.
func (p *pool) backoff(n int) time.Duration {
	o := &p.m.o
	d := o.ReconnectMin
	for i := 1; i < n && d < o.ReconnectMax; i++ {
		d *= 2
	}
	d = min(d, o.ReconnectMax)
	return d/2 + rand.N(d/2+1)
}

// setConfig reconciles the targets with cfg: new addresses start
// connecting, addresses gone are retired, the rest keep their connections.
func (p *pool) setConfig(cfg *tgconfig.Config) {
	lo, hi := p.m.o.MinConnections, p.m.o.MaxConnections
	if lo == 0 {
		lo = cfg.MinConnections
		defaults.SetPositive(&lo, DefaultMinConnections)
	}
	if hi == 0 {
		hi = cfg.MaxConnections
		defaults.SetPositive(&hi, DefaultMaxConnections)
		hi = max(hi, lo)
	}
	lo = min(lo, hi)
	dcsOf := map[netip.AddrPort][]int{}
	for _, id := range dcOrder(cfg) {
		for _, a := range cfg.Targets[id] {
			if !slices.Contains(dcsOf[a], id) {
				dcsOf[a] = append(dcsOf[a], id)
			}
		}
	}

	p.mu.Lock()
	var started, gone []*target
	next := make(map[netip.AddrPort]*target, len(dcsOf))
	for a, dcs := range dcsOf {
		t := p.targets[a]
		if t == nil {
			t = newTarget(p, a)
			started = append(started, t)
		}
		t.mu.Lock()
		t.dcs, t.min, t.max = dcs, lo, hi
		t.mu.Unlock()
		next[a] = t
	}
	for a, t := range p.targets {
		if next[a] == nil {
			gone = append(gone, t)
			p.retired[t] = struct{}{}
		}
	}
	p.targets = next
	p.byDC = make(map[int][]*target, len(cfg.Targets))
	for id, addrs := range cfg.Targets {
		for _, a := range addrs {
			if t := next[a]; !slices.Contains(p.byDC[id], t) {
				p.byDC[id] = append(p.byDC[id], t)
			}
		}
	}
	p.defDC = cfg.Default
	p.mu.Unlock()

	for _, t := range started {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			recovery.Loop(p.ctx, recovery.Middle, p.m.log, p.m.panics, t.run)
			p.forget(t)
		}()
	}
	for _, t := range gone {
		t.retire()
	}
	for _, t := range next {
		t.poke() // min/max may have changed
	}
}

// forget drops a retired target whose maintainer ended.
func (p *pool) forget(t *target) {
	p.mu.Lock()
	delete(p.retired, t)
	p.mu.Unlock()
}

// dcOrder lists the config's DCs: positive ones first, then media ones,
// each ascending by magnitude, so a target serving 2 and -2 reports as 2.
func dcOrder(cfg *tgconfig.Config) []int {
	ids := cfg.DCs()
	slices.SortFunc(ids, func(a, b int) int {
		if (a < 0) != (b < 0) {
			if a < 0 {
				return 1
			}
			return -1
		}
		return abs(a) - abs(b)
	})
	return ids
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// targetsFor returns the targets serving dcID, or the default DC's when
// the config does not list it, and the DC chosen.
func (p *pool) targetsFor(dcID int) ([]*target, int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if ts := p.byDC[dcID]; len(ts) > 0 {
		return ts, dcID
	}
	return p.byDC[p.defDC], p.defDC
}

// announceReady wakes the clients waiting for a connection.
func (p *pool) announceReady() {
	p.mu.Lock()
	close(p.readyCh)
	p.readyCh = make(chan struct{})
	p.mu.Unlock()
}

func (p *pool) readySignal() <-chan struct{} {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.readyCh
}

// bind registers ec on the least loaded ready connection of its DC. If
// there is none but one is being established, it waits up to ReadyWait.
func (p *pool) bind(ctx context.Context, dcID int, ec *extConn) (*rpcConn, int, error) {
	var deadline <-chan time.Time
	for {
		ready := p.readySignal()
		ts, chosen := p.targetsFor(dcID)
		var best *rpcConn
		var bestT *target
		bestN := 0
		connecting := false
		for _, t := range ts {
			c, n := t.pick()
			if c != nil && (best == nil || n < bestN) {
				best, bestT, bestN = c, t, n
			}
			if c == nil && t.busyConnecting() {
				connecting = true
			}
		}
		if best != nil {
			if !best.register(ec) {
				continue // closed meanwhile: pick again
			}
			if bestN+1 >= p.m.o.ConnClients {
				bestT.wantMore()
			}
			return best, chosen, nil
		}
		if !connecting || p.m.o.ReadyWait < 0 {
			return nil, chosen, ErrNoConnection
		}
		if deadline == nil {
			timer := time.NewTimer(p.m.o.ReadyWait)
			defer timer.Stop()
			deadline = timer.C
		}
		select {
		case <-ready:
		case <-deadline:
			return nil, chosen, ErrNoConnection
		case <-ctx.Done():
			return nil, chosen, ctx.Err()
		}
	}
}

// all returns every target, current and retired.
func (p *pool) all() []*target {
	p.mu.RLock()
	defer p.mu.RUnlock()
	ts := make([]*target, 0, len(p.targets)+len(p.retired))
	for _, t := range p.targets {
		ts = append(ts, t)
	}
	for t := range p.retired {
		ts = append(ts, t)
	}
	return ts
}

// addrs returns the config's middle proxies per DC, for a prober.
func (p *pool) addrs() map[int][]netip.AddrPort {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make(map[int][]netip.AddrPort, len(p.byDC))
	for id, ts := range p.byDC {
		for _, t := range ts {
			out[id] = append(out[id], t.addr)
		}
	}
	return out
}

// shutdown closes every connection and waits for the pool's goroutines.
func (p *pool) shutdown() {
	for _, t := range p.all() {
		t.closeAll()
	}
	p.wg.Wait()
}
