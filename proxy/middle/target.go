package middle

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/mtproxy/mtproxy/proxy/recovery"
)

// target is one middle proxy address and its RPC connections. Its
// maintainer goroutine keeps between min and max ready or connecting
// connections, dialing again with exponential backoff after failures.
type target struct {
	p    *pool
	addr netip.AddrPort
	log  *zap.Logger
	wake chan struct{} // capacity 1

	mu         sync.Mutex
	dcs        []int
	min, max   int
	conns      []*rpcConn // ready
	connecting int
	// fresh: the maintainer has not started the first attempts yet. It
	// counts as connecting, so that a client that comes right after the
	// target was added waits for them (ReadyWait) instead of finding
	// nothing under way and being refused.
	fresh      bool
	grow       bool // a client found every connection busy
	retired    bool
	failures   int       // consecutive failed attempts
	next       time.Time // no attempt before
	lastResult HandshakeResult
}

func newTarget(p *pool, addr netip.AddrPort) *target {
	return &target{p: p, addr: addr, wake: make(chan struct{}, 1), fresh: true,
		log: p.m.log.With(zap.Stringer("middle_proxy", addr))}
}

func (t *target) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *target) isRetired() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.retired
}

// primaryDC is the DC the target's events are reported under.
func (t *target) primaryDC() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.dcs) == 0 {
		return 0
	}
	return t.dcs[0]
}

// run maintains the connections until ctx is done or the target is retired
// and drained.
func (t *target) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, done := t.maintain(ctx)
		if done {
			return
		}
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// maintain starts the attempts the target needs now and returns how long
// to wait before the next may start (0: until poked).
func (t *target) maintain(ctx context.Context) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fresh = false // the attempts start below, under the same lock
	have := len(t.conns) + t.connecting
	if t.retired {
		return 0, have == 0
	}
	want := t.min
	if t.grow && have >= want && have < t.max {
		want = have + 1
	}
	t.grow = false
	deficit := want - have
	if deficit <= 0 {
		return 0, false
	}
	if wait := time.Until(t.next); wait > 0 {
		return wait, false
	}
	if t.failures > 0 {
		// Probe a failing target with one attempt at a time: a poke
		// while the probe runs (a refresh, a client asking for more)
		// must not start another.
		if t.connecting > 0 {
			return 0, false
		}
		deficit = 1
	}
	level := t.failures
	t.connecting += deficit
	for range deficit {
		t.p.wg.Add(1)
		go func() {
			defer t.p.wg.Done()
			t.attempt(ctx, level)
		}()
	}
	return 0, false
}

// attempt dials and handshakes once; level is the failure count when it
// started, so parallel attempts that fail together count once.
func (t *target) attempt(ctx context.Context, level int) {
	est, res := t.guardedConnect(ctx)
	t.mu.Lock()
	t.connecting--
	t.lastResult = res
	if est == nil {
		t.failures = max(t.failures, level+1)
		t.next = time.Now().Add(t.p.backoff(t.failures))
		t.mu.Unlock()
		t.poke()
		return
	}
	c := newRPCConn(t.p.m, t, est, t.log)
	if t.retired || ctx.Err() != nil {
		t.mu.Unlock()
		reason := CloseRetired
		if ctx.Err() != nil {
			reason = CloseShutdown
		}
		c.start(&t.p.wg)
		c.close(reason, nil)
		return
	}
	t.failures = 0
	t.conns = append(t.conns, c)
	t.mu.Unlock()
	c.start(&t.p.wg)
	t.p.announceReady()
	t.poke() // a probe that succeeded: open the rest of the connections now
}

// connClosed removes a closed connection and schedules its replacement:
// soon after a long-lived one, with backoff after one that died young.
func (t *target) connClosed(c *rpcConn, reason CloseReason, err error, clients int) {
	lifetime := t.p.m.o.Now().Sub(c.readyAt)
	t.mu.Lock()
	for i, x := range t.conns {
		if x == c {
			t.conns = append(t.conns[:i], t.conns[i+1:]...)
			t.conns[len(t.conns):cap(t.conns)][0] = nil
			break
		}
	}
	if reason != CloseRetired && reason != CloseShutdown {
		if lifetime < youngConn {
			t.failures++
		}
		t.next = time.Now().Add(t.p.backoff(max(t.failures, 1)))
	}
	dcID := 0
	if len(t.dcs) > 0 {
		dcID = t.dcs[0]
	}
	t.mu.Unlock()
	t.poke()
	t.p.m.obs.ConnClosed(CloseEvent{DC: dcID, Target: t.addr, Reason: reason, Lifetime: lifetime, Clients: clients, Err: err})
	lvl := zap.InfoLevel
	if reason == CloseRetired || reason == CloseShutdown {
		lvl = zap.DebugLevel
	}
	if ce := t.log.Check(lvl, "RPC connection closed"); ce != nil {
		ce.Write(zap.Stringer("reason", reason), zap.Duration("lifetime", lifetime),
			zap.Int("clients", clients), zap.Error(err))
	}
}

// youngConn: a connection that dies sooner than this counts as a failed
// attempt for the backoff, so a middle proxy that accepts and then drops
// connections is not hammered.
const youngConn = 10 * time.Second

// pick returns the ready connection with the fewest clients (ties broken
// at random) and its client count, or nil.
func (t *target) pick() (*rpcConn, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.retired {
		return nil, 0
	}
	var best *rpcConn
	bestN, ties := 0, 0
	for _, c := range t.conns {
		if c.closed() {
			continue // closing: connClosed will remove it
		}
		n := int(c.nclients.Load())
		switch {
		case best == nil || n < bestN:
			best, bestN, ties = c, n, 1
		case n == bestN:
			ties++
			if rand.IntN(ties) == 0 {
				best = c
			}
		}
	}
	return best, bestN
}

// hasReady reports whether the target takes new clients on a ready
// connection now.
func (t *target) hasReady() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.retired {
		return false
	}
	for _, c := range t.conns {
		if !c.closed() {
			return true
		}
	}
	return false
}

// wantMore asks for one more connection when every ready one carries
// ConnClients clients.
func (t *target) wantMore() {
	t.mu.Lock()
	can := !t.retired && len(t.conns)+t.connecting < t.max
	if can {
		t.grow = true
	}
	t.mu.Unlock()
	if can {
		t.poke()
	}
}

// connecting reports whether an attempt is under way.
func (t *target) busyConnecting() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.connecting > 0 || t.fresh
}

// retire stops new clients and closes connections as they empty.
func (t *target) retire() {
	t.mu.Lock()
	t.retired = true
	conns := append([]*rpcConn(nil), t.conns...)
	t.mu.Unlock()
	for _, c := range conns {
		c.closeIfIdle()
	}
	t.poke()
}

// closeAll closes every connection (shutdown).
func (t *target) closeAll() {
	t.mu.Lock()
	conns := append([]*rpcConn(nil), t.conns...)
	t.mu.Unlock()
	for _, c := range conns {
		c.close(CloseShutdown, nil)
	}
}

// minRTT is the smaller of two round trips, 0 meaning none measured.
func minRTT(a, b time.Duration) time.Duration {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

func (t *target) stats() TargetStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := TargetStats{Addr: t.addr, DCs: append([]int(nil), t.dcs...), Ready: len(t.conns),
		Connecting: t.connecting, Retired: t.retired, Failures: t.failures}
	for _, c := range t.conns {
		s.Clients += int(c.nclients.Load())
		s.RTT = minRTT(s.RTT, time.Duration(c.rtt.Load()))
	}
	return s
}

// guardedConnect is connect with a panic counted as a failed attempt
// (a protocol error): the target's bookkeeping goes on.
func (t *target) guardedConnect(ctx context.Context) (est *established, res HandshakeResult) {
	defer recovery.Guard(recovery.Middle, t.p.m.log, t.p.m.panics, func() { est, res = nil, HandshakeProtocolError })
	return t.p.connect(ctx, t)
}
