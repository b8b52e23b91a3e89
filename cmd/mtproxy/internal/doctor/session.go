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
}

func newSession(ctx context.Context, l loaded, o Options) *session {
	s := &session{ctx: ctx, l: l, cfg: l.cfg, o: o}
	s.addrs = sync.OnceValue(s.detectAddrs)
	s.files = sync.OnceValue(s.fetchFiles)
	s.running = sync.OnceValue(s.queryRunning)
	s.dcs = sync.OnceValue(s.probeDCs)
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
		Check{"tag", s.checkTag},
		Check{"fronting", s.checkFronting},
		Check{"links", s.checkLinks},
	)
}

func (s *session) middle() bool { return s.cfg.Mode == config.ModeMiddle }

func (s *session) table() *dc.Table { return dc.Builtin().WithOverrides(s.cfg.DCAddrs) }

// timeout derives a context bounded by one step's timeout.
func (s *session) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.o.Timeout)
}
