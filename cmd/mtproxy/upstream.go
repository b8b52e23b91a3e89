package main

import (
	"context"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/startup"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/metrics"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"go.uber.org/zap"
)

// autoStartWait bounds the first download of Telegram's files in
// MODE=auto: without them the proxy serves directly at once and keeps
// trying in the background, so a network that swallows the requests must
// not hold the start-up.
const autoStartWait = 10 * time.Second

// newUpstream builds the upstream of the configured mode and returns it
// with what the DC prober should measure: the DCs in direct and auto mode,
// the middle proxies of the current Telegram config in middle mode. In
// middle mode Telegram's files are loaded first, so a proxy that cannot get
// them fails before printing its links; in auto mode their absence is no
// failure: the DCs are served directly until they download.
func (a *app) newUpstream(ctx context.Context, table *dc.Table, prefer dc.Preference) (proxy.Upstream, func() map[int][]netip.AddrPort, error) {
	cfg := a.cfg
	dcs := func() map[int][]netip.AddrPort { return directTargets(table, prefer) }
	dir := direct.New(direct.Options{
		Table: table, Prefer: prefer, Dialer: &dc.Dialer{Timeout: cfg.DialTimeout},
		IdleTimeout: cfg.IdleTimeout, Observer: a.metrics, TracerProvider: a.tp,
	})
	if cfg.Mode == config.ModeDirect {
		return dir, dcs, nil
	}
	m, err := a.newMiddle(prefer)
	if err != nil {
		return nil, nil, err
	}
	a.middle = m
	a.metrics.SetMiddle(m)
	if cfg.Mode == config.ModeMiddle {
		if err := m.Start(ctx); err != nil {
			return nil, nil, err
		}
		return m, m.Targets, nil
	}
	sctx, cancel := context.WithTimeout(ctx, autoStartWait)
	defer cancel()
	if err := m.StartBackground(sctx); err != nil {
		return nil, nil, err
	}
	threshold := cfg.DirectFallbackAfter
	if !cfg.DirectFallback {
		threshold = -1
	}
	up, err := auto.New(auto.Options{
		Middle: m, Direct: dir, DCs: table.IDs(), Threshold: threshold,
		Observer: pathFanout{&pathLog{log: a.log}, a.metrics},
	})
	if err != nil {
		return nil, nil, err
	}
	a.auto = up
	a.metrics.SetPaths(up)
	return up, dcs, nil
}

// newMiddle builds the middle-proxy layer from the configuration.
func (a *app) newMiddle(prefer dc.Preference) (*middle.Middle, error) {
	cfg := a.cfg
	o := middle.Options{
		ProxySecretURL: cfg.ProxySecretURL, ProxyConfigURL: cfg.ProxyConfigURL,
		IPv6:            cfg.PreferIP.WantsIPv6(),
		ProxySecretFile: cfg.ProxySecretFile, ProxyConfigFile: cfg.ProxyConfigFile,
		RefreshInterval: cfg.ConfigRefreshInterval,
		ExternalIP:      a.nat.External, ExternalIP6: a.nat.External6,
		Prefer:      prefer,
		DialTimeout: cfg.DialTimeout, IdleTimeout: cfg.IdleTimeout, MemoryBudget: cfg.MiddleMemoryBudget,
		Logger: a.log.Named("middle"), Observer: a.metrics.MiddleObserver(), TracerProvider: a.tp,
	}
	if cfg.HasTag {
		tag := rpc.AdTag(cfg.Tag)
		o.AdTag = &tag
	}
	if cfg.IP.IsValid() && cfg.InternalIP.IsValid() {
		o.NAT = map[netip.Addr]netip.Addr{cfg.InternalIP: cfg.IP}
	}
	return middle.New(o)
}

// startupFiles says where Telegram's files in use at start came from, for
// the start-up block's mode line.
func (a *app) startupFiles() startup.Files {
	if a.middle == nil || !a.middle.Running() {
		return startup.FilesNone
	}
	st := a.middle.Stats()
	if st.Secret.Source == middle.SourceCache || st.Config.Source == middle.SourceCache {
		return startup.FilesCached
	}
	return startup.FilesDownloaded
}

// probeMethod is the prober's exchange: the MTProto req_pq_multi in direct
// and auto mode (whose targets are the DCs: the middle proxies' health is
// the pool's own, see DCReady), the RPC handshake with the proxy's own
// secret and addresses in middle mode.
func (a *app) probeMethod(timeout time.Duration) dcprobe.Method {
	if a.cfg.Mode == config.ModeMiddle {
		return &dcprobe.RPC{Timeout: timeout, Params: a.middle.HandshakeParams}
	}
	return &dcprobe.MTProto{Timeout: timeout}
}

// directTargets is what the prober measures in direct mode: the main DCs'
// addresses of the families in use.
func directTargets(t *dc.Table, prefer dc.Preference) map[int][]netip.AddrPort {
	out := map[int][]netip.AddrPort{}
	for _, id := range t.IDs() {
		if _, addrs := t.Lookup(id, prefer); len(addrs) > 0 {
			out[id] = addrs
		}
	}
	return out
}

// reload is SIGHUP: in middle and auto mode, download Telegram's files now
// (the refresh validates them and swaps them in without dropping clients;
// in auto mode without files yet, it is one more try to get them).
func (a *app) reload(ctx context.Context) {
	a.reloadUsers()
	if a.middle == nil {
		if a.users == nil {
			a.log.Info("SIGHUP: nothing to reload in direct mode")
		}
		return
	}
	a.log.Info("SIGHUP: refreshing Telegram's proxy config")
	go func() {
		defer recovery.Guard(recovery.Refresh, a.log, a.metrics, nil)
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := a.middle.Refresh(ctx); err != nil {
			a.log.Warn("refresh of Telegram's proxy config failed; the last good one stays in use", zap.Error(err))
		}
	}()
}

// modeMetric maps the configured mode to the metrics' one.
func modeMetric(m config.Mode) metrics.Mode {
	switch m {
	case config.ModeMiddle:
		return metrics.ModeMiddle
	case config.ModeAuto:
		return metrics.ModeAuto
	}
	return metrics.ModeDirect
}
