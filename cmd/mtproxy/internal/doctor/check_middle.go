package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/rpc"
)

// maxMiddleProbes bounds the middle proxies probed at once.
const maxMiddleProbes = 16

// mpProbe is what one middle proxy did.
type mpProbe struct {
	dc      int
	addr    netip.AddrPort
	dial    dc.Result
	dialErr error
	connect time.Duration
	tried   bool // the RPC handshake was attempted
	hsErr   error
	sum     rpc.Checksum
	public  netip.AddrPort
}

func (p mpProbe) ok() bool { return p.dial == dc.OK && p.hsErr == nil }

// checkMiddle connects to every middle proxy of the list the proxy would
// use and, with a proxy secret at hand, runs the RPC handshake, whose
// keys prove the external address right. A DC left with no working middle
// proxy fails (its clients hang in "updating"); some failures warn.
func (s *session) checkMiddle(ctx context.Context) Result {
	list, from, err := s.middleList()
	if err != nil {
		if !s.middle() {
			return skipf("not used in direct mode (no middle-proxy list to check)")
		}
		return failf("no middle-proxy list to check (%s)", err)
	}
	secret := s.proxySecret()
	nat := s.addrs()
	probes := s.probeMiddle(ctx, list.Targets, secret, nat)

	up := map[int]bool{}
	var answered, shook int
	var lat []time.Duration
	failed := map[string][]string{}
	var publics []string
	for _, p := range probes {
		if p.dial == dc.OK {
			answered++
			lat = append(lat, p.connect)
		}
		if p.ok() {
			up[p.dc] = true
			if p.tried {
				shook++
				if a := p.public.Addr().String(); !slices.Contains(publics, a) {
					publics = append(publics, a)
				}
			}
			continue
		}
		msg := describeDial(p.dial, p.dialErr, s.o.Timeout)
		if p.dial == dc.OK {
			msg = "handshake: " + hint(p.hsErr, p.public.Addr())
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
	for _, id := range list.DCs() {
		if !up[id] {
			down = append(down, fmt.Sprint(id))
		}
	}
	switch {
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
	if !s.middle() {
		r = r.notNeeded("not used in direct mode")
	}
	return r
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

func (s *session) probeOne(ctx context.Context, p *mpProbe, secret *rpc.ProxySecret, nat addrFacts) {
	d := &dc.Dialer{Timeout: s.o.Timeout, DialContext: s.o.Dial}
	var at dc.Attempt
	nc, _, err := d.Dial(ctx, []netip.AddrPort{p.addr}, func(a dc.Attempt) { at = a })
	p.dial, p.dialErr, p.connect = at.Result, at.Err, at.Duration
	if err != nil {
		if at.Addr != p.addr { // no attempt was made
			p.dial, p.dialErr = dc.Classify(err), err
		}
		return
	}
	defer nc.Close()
	if secret == nil {
		return
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	defer stop()
	_ = nc.SetDeadline(time.Now().Add(s.o.Timeout))
	local := netx.AddrPort(nc.LocalAddr())
	p.public = netip.AddrPortFrom(nat.public(local.Addr()), local.Port())
	p.tried = true
	p.sum, p.hsErr = rpcHandshake(nc, rpcParams{
		secret: secret, server: p.addr, public: p.public, now: s.o.Now(), pid: s.o.PID, rand: s.o.Rand,
	})
}

// latencyRange is "38ms" or "38ms–120ms".
func latencyRange(ds []time.Duration) string {
	lo, hi := slices.Min(ds), slices.Max(ds)
	if fmtDur(lo) == fmtDur(hi) {
		return fmtDur(lo)
	}
	return fmtDur(lo) + "–" + fmtDur(hi)
}

// describeDial words a failed connect.
func describeDial(r dc.Result, err error, timeout time.Duration) string {
	switch r {
	case dc.Timeout:
		return "no answer within " + fmtDur(timeout) + " (firewall or DPI dropping?)"
	case dc.Refused:
		return "connection refused"
	case dc.Unreachable:
		return "unreachable (no route)"
	}
	if err != nil {
		return "connect failed: " + oneLine(err)
	}
	return "connect failed"
}
