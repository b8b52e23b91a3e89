package dcprobe

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

// Defaults of the Prober's fields left zero.
const (
	DefaultInterval    = 30 * time.Second
	DefaultConcurrency = 16
	// Jitter is the largest fraction by which a round's interval is
	// lengthened or shortened at random, so that many proxies started
	// together do not probe in step.
	Jitter = 0.1
)

// Observer receives the prober's findings. Implementations must be safe
// for concurrent use.
type Observer interface {
	// Probed reports one exchange with one address of a target.
	Probed(target int, o Outcome)
	// StateChanged reports a target going up (at least one address
	// answered) or down (none did). The first round reports every
	// target's state.
	StateChanged(target int, up bool, h Health)
}

// Health is what the prober knows of one target.
type Health struct {
	Up bool
	// Checked is when the last round ended.
	Checked time.Time
	// ConnectTime and RTT are the fastest TCP connect and the fastest
	// round trip of the addresses that answered in the last round (0
	// when none did).
	ConnectTime, RTT time.Duration
	// Addrs and Answered count the addresses probed and those that
	// answered at the protocol level.
	Addrs, Answered int
	// Failures counts consecutive rounds with no answer.
	Failures int
	// Reason is the outcome that best explains a down target (a peer that
	// connected and misbehaved before a connect failure); zero when up.
	Reason Outcome
}

// Prober runs one exchange with every address of every target per round.
type Prober struct {
	// Targets returns what to probe; called every round, so a refreshed
	// middle-proxy config is picked up. Required.
	Targets func() map[int][]netip.AddrPort
	// Method is the exchange. Required.
	Method Method
	// Interval between rounds, varied by up to Jitter either way.
	// Default: DefaultInterval (30s).
	Interval time.Duration
	// Concurrency bounds exchanges in flight. Default:
	// DefaultConcurrency (16).
	Concurrency int
	// Observer receives results. Optional.
	Observer Observer

	mu     sync.Mutex
	health map[int]Health
}

// Run probes until ctx is done, the first round at once.
func (p *Prober) Run(ctx context.Context) {
	interval := p.Interval
	defaults.SetPositive(&interval, DefaultInterval)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.Round(ctx)
		t.Reset(jittered(interval))
	}
}

// jittered varies d by up to Jitter either way.
func jittered(d time.Duration) time.Duration {
	f := 1 + Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

type probed struct {
	target int
	o      Outcome
}

// Round probes every target once and returns the health of each.
func (p *Prober) Round(ctx context.Context) map[int]Health {
	targets := p.Targets()
	conc := p.Concurrency
	defaults.SetPositive(&conc, DefaultConcurrency)
	sem := make(chan struct{}, conc)
	results := make(chan probed)
	var wg sync.WaitGroup
	for id, addrs := range targets {
		for _, a := range addrs {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				results <- probed{id, p.Method.Probe(ctx, id, a)}
			})
		}
	}
	go func() { wg.Wait(); close(results) }()

	round := map[int]Health{}
	for id, addrs := range targets {
		round[id] = Health{Addrs: len(addrs)}
	}
	for r := range results {
		if p.Observer != nil && ctx.Err() == nil {
			p.Observer.Probed(r.target, r.o)
		}
		round[r.target] = fold(round[r.target], r.o)
	}
	if ctx.Err() != nil {
		return p.Snapshot() // an interrupted round says nothing about the targets
	}
	p.record(round)
	return p.Snapshot()
}

// fold adds one outcome to a target's round.
func fold(h Health, o Outcome) Health {
	if o.Result != dc.OK {
		if h.Reason.Addr == (netip.AddrPort{}) || informative(o.Result) > informative(h.Reason.Result) {
			h.Reason = o
		}
		return h
	}
	h.Answered++
	if h.ConnectTime == 0 || o.Connect < h.ConnectTime {
		h.ConnectTime = o.Connect
	}
	if h.RTT == 0 || o.RTT < h.RTT {
		h.RTT = o.RTT
	}
	return h
}

func (p *Prober) record(round map[int]Health) {
	now := time.Now()
	p.mu.Lock()
	prev := p.health
	p.health = make(map[int]Health, len(round))
	type change struct {
		id int
		h  Health
	}
	var changes []change
	for id, h := range round {
		h.Checked = now
		h.Up = h.Answered > 0
		old, seen := prev[id]
		if h.Up {
			h.Reason = Outcome{}
		} else {
			h.Failures = old.Failures + 1
		}
		p.health[id] = h
		if !seen || old.Up != h.Up {
			changes = append(changes, change{id, h})
		}
	}
	p.mu.Unlock()
	sort.Slice(changes, func(i, j int) bool { return changes[i].id < changes[j].id })
	if p.Observer != nil {
		for _, c := range changes {
			p.Observer.StateChanged(c.id, c.h.Up, c.h)
		}
	}
}

// Snapshot returns the health of every target as of the last complete
// round (empty before the first).
func (p *Prober) Snapshot() map[int]Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int]Health, len(p.health))
	for id, h := range p.health {
		out[id] = h
	}
	return out
}
