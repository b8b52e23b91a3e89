package doctor

import (
	"context"
	"fmt"
	"sync"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

// session is one run: the configuration, the options, and the facts
// several checks share, each computed once by whichever check asks first.
type session struct {
	ctx context.Context // the run's; bounds the shared computations
	l   loaded
	cfg *config.Config
	o   Options

	addrs   func() addrFacts
	files   func() tgFiles
	running func() runningProxy
	dcs     func() dcRound
	mids    func() middleRound
}

func newSession(ctx context.Context, l loaded, o Options) *session {
	s := &session{ctx: ctx, l: l, cfg: l.cfg, o: o}
	s.addrs = sync.OnceValue(s.detectAddrs)
	s.files = sync.OnceValue(s.fetchFiles)
	s.running = sync.OnceValue(s.queryRunning)
	s.dcs = sync.OnceValue(s.probeDCs)
	s.mids = sync.OnceValue(s.probeMiddleRound)
	return s
}

// checks lists the checks in report order.
func (s *session) checks() []Check {
	list := []Check{
		{"config", s.checkConfig},
		{"clock", s.checkClock},
		{"addresses", s.checkAddresses},
		{"port", s.checkPort},
		{"internal port", s.checkInternalPort},
		{"running proxy", s.checkRunning},
	}
	for _, id := range s.table().IDs() {
		list = append(list, Check{fmt.Sprintf("dc %d", id), func(ctx context.Context) Result { return s.checkDC(ctx, id) }})
	}
	return append(list,
		Check{"proxy secret", s.checkProxySecret},
		Check{"proxy config", s.checkProxyConfig},
		Check{"middle proxies", s.checkMiddle},
		Check{"path", s.checkPath},
		Check{"tag", s.checkTag},
		Check{"fronting", s.checkFronting},
		Check{"tls profile", s.checkTLSProfile},
		Check{"links", s.checkLinks},
	)
}

// usesMiddle: the mode sends clients through the middle proxies (MODE=middle
// always, MODE=auto whenever they can serve), so their files, NAT and
// reachability matter.
func (s *session) usesMiddle() bool { return s.cfg.Mode != config.ModeDirect }

// middleUse grades a middle-proxy result by the mode: a failure is only a
// warning where nothing depends on it (direct), or where MODE=auto serves
// the clients directly instead.
func (s *session) middleUse(r Result) Result {
	switch s.cfg.Mode {
	case config.ModeDirect:
		return r.notNeeded("not used in direct mode")
	case config.ModeAuto:
		return r.notNeeded("MODE=auto serves clients directly instead (see path)")
	}
	return r
}

func (s *session) table() *dc.Table { return dc.Builtin().WithOverrides(s.cfg.DCAddrs) }

// timeout derives a context bounded by one step's timeout.
func (s *session) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.o.Timeout)
}
