package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

// dcRound is one prober round over every DC.
type dcRound struct {
	order    map[int][]netip.AddrPort // the addresses of each DC, in PREFER_IP order
	outcomes map[dcKey]dcprobe.Outcome
	err      error // the round was interrupted
}

type dcKey struct {
	dc   int
	addr netip.AddrPort
}

// roundRecorder keeps the prober's per-address outcomes.
type roundRecorder struct {
	mu       sync.Mutex
	outcomes map[dcKey]dcprobe.Outcome
}

func (r *roundRecorder) Probed(id int, o dcprobe.Outcome) {
	r.mu.Lock()
	r.outcomes[dcKey{id, o.Addr}] = o
	r.mu.Unlock()
}

func (r *roundRecorder) StateChanged(int, bool, dcprobe.Health) {}

// probeDCs runs the proxy's own MTProto probe once against every address
// of every DC (DC_ADDRS applied, filtered and ordered by PREFER_IP): a
// req_pq_multi that must come back as a resPQ, since a network may accept
// every TCP connection and answer none.
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
	rec := &roundRecorder{outcomes: map[dcKey]dcprobe.Outcome{}}
	p := &dcprobe.Prober{
		Targets: func() map[int][]netip.AddrPort { return order },
		Method: &dcprobe.MTProto{Timeout: s.o.Timeout, Rand: s.o.Rand, Now: s.o.Now,
			Dialer: &dc.Dialer{Timeout: s.o.Timeout, DialContext: s.o.Dial}},
		Observer: rec,
	}
	p.Round(s.ctx)
	round := dcRound{order: order, outcomes: rec.outcomes}
	if s.ctx.Err() != nil {
		round.err = s.ctx.Err()
	}
	return round
}

// checkDC reports one DC: every address with its class and round trip,
// or why it failed ("TCP connects but the peer is not Telegram: it
// answered HTTP"). No answer at all fails in direct mode (clients of that
// DC hang in "updating"). An address of the preferred family (the first
// in PREFER_IP order) failing warns; one of the other family failing
// while the preferred family answers is only noted, as the proxy tries
// that family only when the preferred one fails.
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
		o, seen := round.outcomes[dcKey{id, a}]
		var word string
		switch {
		case !seen:
			word = "not probed"
		case o.Result == dc.OK:
			parts = append(parts, fmt.Sprintf("%s ok, rtt %s", a, fmtDur(o.RTT)))
			answered++
			preferredOK = preferredOK || a.Addr().Is4() == preferred
			continue
		default:
			word = o.Result.String() + ": " + o.Describe()
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
		r = failf("%s", strings.Join(append(parts, fallback...), "; "))
	case hard > 0 || !preferredOK:
		r = warnf("%s", strings.Join(append(parts, fallback...), "; "))
	default:
		r = okf("%s", strings.Join(parts, "; "))
		if len(fallback) > 0 {
			r = r.note("fallback family (tried only when the preferred one fails): " + strings.Join(fallback, "; "))
		}
	}
	switch {
	case s.cfg.Mode == config.ModeMiddle:
		r = r.notNeeded("not dialled in middle mode: clients go through the middle proxies")
	case s.cfg.Mode == config.ModeAuto && s.middleServes(id):
		r = r.notNeeded("MODE=auto dials a DC only while its middle proxies are down, and they work")
	}
	return r
}
