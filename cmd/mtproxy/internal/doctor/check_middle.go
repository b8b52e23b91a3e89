package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/proxy/tgconfig"
)

// maxMiddleProbes bounds the middle proxies probed at once.
const maxMiddleProbes = 16

// mpProbe is what one middle proxy did.
type mpProbe struct {
	dc     int
	addr   netip.AddrPort
	out    dcprobe.Outcome
	tried  bool           // the RPC handshake was attempted
	public netip.AddrPort // our address as used in the key derivation
}

func (p mpProbe) ok() bool { return p.out.Result == dc.OK }

// middleRound is every middle proxy of the list the proxy would use,
// probed once for the checks that need them.
type middleRound struct {
	list   *tgconfig.Config
	from   string // "downloaded" or "cached"
	err    error  // no list
	secret *rpc.ProxySecret
	probes []mpProbe
}

// probeMiddleRound probes the list the proxy would use, within the run.
func (s *session) probeMiddleRound() middleRound {
	list, from, err := s.middleList()
	if err != nil {
		return middleRound{err: err}
	}
	secret := s.proxySecret()
	return middleRound{list: list, from: from, secret: secret,
		probes: s.probeMiddle(s.ctx, list.Targets, secret, s.addrs())}
}

// downDCs lists, ascending, the DCs of the list without a working middle
// proxy.
func (mr middleRound) downDCs() []int {
	up := map[int]bool{}
	for _, p := range mr.probes {
		if p.ok() {
			up[p.dc] = true
		}
	}
	var down []int
	for _, id := range mr.list.DCs() {
		if !up[id] {
			down = append(down, id)
		}
	}
	sort.Ints(down)
	return down
}

// middleServes tells whether MODE=auto would serve DC id through the middle
// proxies: Telegram's files are at hand and the DC has a working one.
func (s *session) middleServes(id int) bool {
	mr := s.mids()
	return mr.err == nil && mr.secret != nil && !slices.Contains(mr.downDCs(), id)
}

// checkMiddle connects to every middle proxy of the list the proxy would
// use and, with a proxy secret at hand, runs the RPC handshake, whose
// keys prove the external address right. A DC left with no working middle
// proxy fails in MODE=middle (its clients hang in "updating"); MODE=auto
// serves it directly instead, a warning the path check explains.
func (s *session) checkMiddle(context.Context) Result {
	mr := s.mids()
	if mr.err != nil {
		switch s.cfg.Mode {
		case config.ModeDirect:
			return skipf("not used in direct mode (no middle-proxy list to check)")
		case config.ModeAuto:
			return warnf("no middle-proxy list to check (%s): MODE=auto serves clients directly", mr.err)
		}
		return failf("no middle-proxy list to check (%s)", mr.err)
	}
	list, from, secret, probes := mr.list, mr.from, mr.secret, mr.probes

	var answered, shook int
	var lat []time.Duration
	failed := map[string][]string{}
	var publics []string
	for _, p := range probes {
		if p.out.Result.Connected() {
			answered++
			lat = append(lat, p.out.Connect)
		}
		if p.ok() {
			if p.tried {
				shook++
				if a := p.public.Addr().String(); !slices.Contains(publics, a) {
					publics = append(publics, a)
				}
			}
			continue
		}
		msg := p.out.Describe()
		if p.tried && p.out.Result.Connected() || p.out.Result == dc.Failed {
			msg = "handshake: " + hint(p.out, p.public.Addr())
		}
		failed[msg] = append(failed[msg], fmt.Sprintf("dc %d %s", p.dc, p.addr))
	}

	detail := fmt.Sprintf("%d of %d answered", answered, len(probes))
	if len(lat) > 0 {
		detail += " (connect " + latencyRange(lat) + ")"
	}
	if secret != nil {
		detail += fmt.Sprintf(", RPC handshake ok with %d", shook)
		if len(publics) > 0 {
			detail += " as " + strings.Join(publics, ", ")
		}
	} else {
		detail += ", RPC handshake not tried: no proxy secret"
	}
	detail += fmt.Sprintf(" (%s list, %s)", from, plural(len(list.Targets), "DC", "DCs"))

	r := okf("%s", detail)
	var down []string
	for _, id := range mr.downDCs() {
		down = append(down, fmt.Sprint(id))
	}
	switch {
	case len(down) > 0 && s.cfg.Mode == config.ModeAuto:
		r.Status = Fail // middleUse makes it a warning
		r = r.note("no working middle proxy for DC " + strings.Join(down, ", ") + ": MODE=auto serves its clients directly")
	case len(down) > 0:
		r.Status = Fail
		r = r.note("no working middle proxy for DC " + strings.Join(down, ", ") + ": its clients hang in \"updating\"")
	case len(failed) > 0:
		r.Status = Warn
	}
	msgs := make([]string, 0, len(failed))
	for m := range failed {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		r = r.note(strings.Join(failed[m], ", ") + ": " + m)
	}
	return s.middleUse(r)
}

// probeMiddle probes every target concurrently, at most maxMiddleProbes
// at a time; results come back in list order.
func (s *session) probeMiddle(ctx context.Context, targets map[int][]netip.AddrPort, secret *rpc.ProxySecret, nat addrFacts) []mpProbe {
	var probes []mpProbe
	ids := make([]int, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		for _, a := range targets[id] {
			probes = append(probes, mpProbe{dc: id, addr: a})
		}
	}
	sem := make(chan struct{}, maxMiddleProbes)
	var wg sync.WaitGroup
	for i := range probes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s.probeOne(ctx, &probes[i], secret, nat)
		})
	}
	wg.Wait()
	return probes
}

// probeOne runs the proxy's own middle-mode probe (the RPC handshake,
// with the secret and the public address the proxy would use) against
// one middle proxy; without a proxy secret, only a connect.
func (s *session) probeOne(ctx context.Context, p *mpProbe, secret *rpc.ProxySecret, nat addrFacts) {
	d := &dc.Dialer{Timeout: s.o.Timeout, DialContext: s.o.Dial}
	if secret == nil {
		var at dc.Attempt
		nc, _, err := d.Dial(ctx, []netip.AddrPort{p.addr}, func(a dc.Attempt) { at = a })
		p.out = dcprobe.Outcome{Addr: p.addr, Result: dc.Classify(err), Err: err, Connect: at.Duration, Timeout: s.o.Timeout}
		if at.Addr == p.addr {
			p.out.Result, p.out.Err = at.Result, at.Err
		}
		if err == nil {
			_ = nc.Close()
		}
		return
	}
	m := &dcprobe.RPC{Dialer: d, Timeout: s.o.Timeout,
		Params: func(server, local netip.AddrPort) (middle.HandshakeParams, error) {
			p.tried = true
			p.public = netip.AddrPortFrom(nat.public(local.Addr()), local.Port())
			return middle.HandshakeParams{Secret: secret, Server: server, Public: p.public,
				Now: s.o.Now(), PID: s.o.PID, Started: s.o.Now(), Rand: s.o.Rand}, nil
		}}
	p.out = m.Probe(ctx, p.dc, p.addr)
}

// hint explains a failed middle-proxy probe to the operator: what the
// middle proxy's refusal says about the setup, or the probe's own words.
func hint(o dcprobe.Outcome, public netip.Addr) string {
	var he *middle.HandshakeError
	if errors.As(o.Err, &he) {
		switch he.Result {
		case middle.HandshakeClosedBeforeNonce:
			return "the middle proxy closed the connection at once, refusing our RPC_NONCE: an outdated proxy secret (PROXY_SECRET_FILE), or this host's clock over 30 s off"
		case middle.HandshakeBadNonce:
			if errors.Is(he.Err, rpc.ErrKeySelector) {
				return "it uses another proxy secret: download getProxySecret again"
			}
		case middle.HandshakeClockSkew:
			return oneLine(he.Err) + ": fix this host's clock"
		case middle.HandshakeClosedAfterNonce, middle.HandshakeBadCrypto:
			return fmt.Sprintf("%s: the keys disagree, so it sees us at another address than %s; behind NAT set IP (or NAT_INFO) to the public address", oneLine(he.Err), public)
		case middle.HandshakeRefused:
			return oneLine(he.Err)
		}
	}
	return o.Result.String() + ": " + o.Describe()
}

// latencyRange is "38ms" or "38ms–120ms".
func latencyRange(ds []time.Duration) string {
	lo, hi := slices.Min(ds), slices.Max(ds)
	if fmtDur(lo) == fmtDur(hi) {
		return fmtDur(lo)
	}
	return fmtDur(lo) + "–" + fmtDur(hi)
}
