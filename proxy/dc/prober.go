package dc

import (
	"context"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
)

// ProbeObserver receives the prober's findings. Implementations must be
// safe for concurrent use.
type ProbeObserver interface {
	// Probed reports one connect attempt to one address of a DC.
	Probed(dc int, addr netip.AddrPort, res Result, took time.Duration)
	// StateChanged reports a DC going up (at least one address answers) or
	// down (none does). The first round reports every DC's state.
	StateChanged(dc int, up bool, h Health)
}

// Health is what the prober knows of one DC.
type Health struct {
	Up bool
	// Checked is when the last round ended.
	Checked time.Time
	// ConnectTime is the fastest successful connect of the last round.
	ConnectTime time.Duration
	// Addrs and Answered count the addresses probed and those that answered.
	Addrs, Answered int
	// Failures counts consecutive rounds with no answer.
	Failures int
	// LastError is the last failing address's error, when the DC is down.
	LastError error
}

// Defaults of [Prober].
const (
	DefaultProbeInterval    = 30 * time.Second
	DefaultProbeTimeout     = 5 * time.Second
	DefaultProbeConcurrency = 16
)

// Prober connects to every address of every DC periodically, to tell
// which DCs are reachable before clients find out. Connections are closed
// as soon as they are established: nothing is sent.
type Prober struct {
	// Targets returns what to probe; called every round, so a refreshed
	// middle-proxy config is picked up. Required.
	Targets func() map[int][]netip.AddrPort
	// Interval between rounds. Default: DefaultProbeInterval (30s).
	Interval time.Duration
	// Dialer dials the addresses (its Timeout bounds each attempt).
	// Default: a Dialer with DefaultProbeTimeout (5s).
	Dialer *Dialer
	// Concurrency bounds attempts in flight. Default:
	// DefaultProbeConcurrency (16).
	Concurrency int
	// Observer receives results. Optional.
	Observer ProbeObserver

	mu     sync.Mutex
	health map[int]Health
}

// Run probes until ctx is done, the first round at once.
func (p *Prober) Run(ctx context.Context) {
	interval := p.Interval
	defaults.SetPositive(&interval, DefaultProbeInterval)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round probes every target once and returns the health of each DC.
func (p *Prober) Round(ctx context.Context) map[int]Health {
	targets := p.Targets()
	dialer := p.Dialer
	defaults.Set(&dialer, &Dialer{Timeout: DefaultProbeTimeout})
	conc := p.Concurrency
	defaults.SetPositive(&conc, DefaultProbeConcurrency)
	type result struct {
		dc int
		a  Attempt
	}
	sem := make(chan struct{}, conc)
	results := make(chan result)
	var wg sync.WaitGroup
	for id, addrs := range targets {
		for _, a := range addrs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				var at Attempt
				c, _, err := dialer.Dial(ctx, []netip.AddrPort{a}, func(x Attempt) { at = x })
				if err == nil {
					_ = c.Close()
				} else if at.Addr != a { // no attempt was made (ctx done)
					at = Attempt{Addr: a, Result: Classify(err), Err: err}
				}
				results <- result{id, at}
			}()
		}
	}
	go func() { wg.Wait(); close(results) }()

	round := map[int]Health{}
	for id, addrs := range targets {
		round[id] = Health{Addrs: len(addrs)}
	}
	for r := range results {
		h := round[r.dc]
		if p.Observer != nil {
			p.Observer.Probed(r.dc, r.a.Addr, r.a.Result, r.a.Duration)
		}
		if r.a.Result == OK {
			h.Answered++
			if h.ConnectTime == 0 || r.a.Duration < h.ConnectTime {
				h.ConnectTime = r.a.Duration
			}
		} else {
			h.LastError = r.a.Err
		}
		round[r.dc] = h
	}
	if ctx.Err() != nil {
		return p.Snapshot() // an interrupted round says nothing about the DCs
	}
	p.record(round)
	return p.Snapshot()
}

func (p *Prober) record(round map[int]Health) {
	now := time.Now()
	p.mu.Lock()
	prev := p.health
	p.health = make(map[int]Health, len(round))
	type change struct {
		dc int
		h  Health
	}
	var changes []change
	for id, h := range round {
		h.Checked = now
		h.Up = h.Answered > 0
		old, seen := prev[id]
		if h.Up {
			h.LastError = nil
		} else {
			h.Failures = old.Failures + 1
		}
		p.health[id] = h
		if !seen || old.Up != h.Up {
			changes = append(changes, change{id, h})
		}
	}
	p.mu.Unlock()
	sort.Slice(changes, func(i, j int) bool { return changes[i].dc < changes[j].dc })
	if p.Observer != nil {
		for _, c := range changes {
			p.Observer.StateChanged(c.dc, c.h.Up, c.h)
		}
	}
}

// Snapshot returns the health of every DC as of the last complete round
// (empty before the first).
func (p *Prober) Snapshot() map[int]Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int]Health, len(p.health))
	for id, h := range p.health {
		out[id] = h
	}
	return out
}
