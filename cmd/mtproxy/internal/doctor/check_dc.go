package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
)

// dcAttempt is one probed address of a DC.
type dcAttempt struct {
	addr netip.AddrPort
	res  dc.Result
	took time.Duration
}

// dcRound is one prober round over every DC.
type dcRound struct {
	order    map[int][]netip.AddrPort // the addresses of each DC, in PREFER_IP order
	attempts map[dcKey]dcAttempt
	health   map[int]dc.Health
	err      error // the round was interrupted
}

type dcKey struct {
	dc   int
	addr netip.AddrPort
}

// roundRecorder keeps the prober's per-address reports.
type roundRecorder struct {
	mu       sync.Mutex
	attempts map[dcKey]dcAttempt
}

func (r *roundRecorder) Probed(id int, addr netip.AddrPort, res dc.Result, took time.Duration) {
	r.mu.Lock()
	r.attempts[dcKey{id, addr}] = dcAttempt{addr, res, took}
	r.mu.Unlock()
}

func (r *roundRecorder) StateChanged(int, bool, dc.Health) {}

// probeDCs connects once to every address of every DC (DC_ADDRS applied,
// filtered and ordered by PREFER_IP), as the proxy's prober does.
func (s *session) probeDCs() dcRound {
	prefer, err := dc.ParsePreference(string(s.cfg.PreferIP))
	if err != nil {
		return dcRound{err: err}
	}
	t := s.table()
	order := map[int][]netip.AddrPort{}
	for _, id := range t.IDs() {
		if _, addrs := t.Lookup(id, prefer); len(addrs) > 0 {
			order[id] = addrs
		}
	}
	rec := &roundRecorder{attempts: map[dcKey]dcAttempt{}}
	p := &dc.Prober{
		Targets:  func() map[int][]netip.AddrPort { return order },
		Dialer:   &dc.Dialer{Timeout: s.o.Timeout, DialContext: s.o.Dial},
		Observer: rec,
	}
	h := p.Round(s.ctx)
	round := dcRound{order: order, attempts: rec.attempts, health: h}
	if s.ctx.Err() != nil {
		round.err = s.ctx.Err()
	}
	return round
}

// checkDC reports one DC: every address with its connect time or why it
// failed. No answer at all fails in direct mode (clients of that DC hang
// in "updating"). An address of the preferred family (the first in
// PREFER_IP order) failing warns; one of the other family failing while
// the preferred family answers is only noted, as the proxy tries that
// family only when the preferred one fails.
func (s *session) checkDC(_ context.Context, id int) Result {
	round := s.dcs()
	if round.err != nil {
		return failf("not probed: %v", round.err)
	}
	addrs, listed := round.order[id]
	if !listed {
		return skipf("no address of the families allowed by PREFER_IP=%s", s.cfg.PreferIP)
	}
	preferred := addrs[0].Addr().Is4()
	var parts, fallback []string
	answered, preferredOK, hard := 0, false, 0
	for _, a := range addrs {
		at, seen := round.attempts[dcKey{id, a}]
		var word string
		switch {
		case !seen:
			word = "not probed"
		case at.res == dc.OK:
			parts = append(parts, a.String()+" "+fmtDur(at.took))
			answered++
			preferredOK = preferredOK || a.Addr().Is4() == preferred
			continue
		default:
			word = describeDial(at.res, nil, s.o.Timeout)
		}
		if a.Addr().Is4() == preferred {
			parts = append(parts, a.String()+" "+word)
			hard++
		} else {
			fallback = append(fallback, a.String()+" "+word)
		}
	}
	var r Result
	switch {
	case answered == 0:
		r = failf("%s", strings.Join(append(parts, fallback...), ", "))
		if h := round.health[id]; h.LastError != nil {
			r = r.note(fmt.Sprintf("last error: %s", oneLine(h.LastError)))
		}
	case hard > 0 || !preferredOK:
		r = warnf("%s", strings.Join(append(parts, fallback...), ", "))
	default:
		r = okf("%s", strings.Join(parts, ", "))
		if len(fallback) > 0 {
			r = r.note("fallback family (tried only when the preferred one fails): " + strings.Join(fallback, ", "))
		}
	}
	if s.middle() {
		r = r.notNeeded("not dialled in middle mode: clients go through the middle proxies")
	}
	return r
}
