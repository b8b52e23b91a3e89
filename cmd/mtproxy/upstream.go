package main

import (
	"context"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/metrics"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"go.uber.org/zap"
)

// newUpstream builds the upstream of the configured mode and returns it
// with what the DC prober should measure: the DCs in direct mode, the
// middle proxies of the current Telegram config in middle mode. In middle
// mode Telegram's files are loaded first, so a proxy that cannot get them
// fails before printing its links.
func (a *app) newUpstream(ctx context.Context, table *dc.Table, prefer dc.Preference) (proxy.Upstream, func() map[int][]netip.AddrPort, error) {
	cfg := a.cfg
	if cfg.Mode != config.ModeMiddle {
		up := direct.New(direct.Options{
			Table: table, Prefer: prefer, Dialer: &dc.Dialer{Timeout: cfg.DialTimeout},
			IdleTimeout: cfg.IdleTimeout, Observer: a.metrics, TracerProvider: a.tp,
		})
		return up, func() map[int][]netip.AddrPort { return directTargets(table, prefer) }, nil
	}
	o := middle.Options{
		ProxySecretURL: cfg.ProxySecretURL, ProxyConfigURL: cfg.ProxyConfigURL,
		IPv6:            cfg.PreferIP.WantsIPv6(),
		ProxySecretFile: cfg.ProxySecretFile, ProxyConfigFile: cfg.ProxyConfigFile,
		RefreshInterval: cfg.ConfigRefreshInterval,
		ExternalIP:      a.nat.External, ExternalIP6: a.nat.External6,
		Prefer:      prefer,
		DialTimeout: cfg.DialTimeout, IdleTimeout: cfg.IdleTimeout,
		Logger: a.log.Named("middle"), Observer: a.metrics.MiddleObserver(), TracerProvider: a.tp,
	}
	if cfg.HasTag {
		tag := rpc.AdTag(cfg.Tag)
		o.AdTag = &tag
	}
	if cfg.IP.IsValid() && cfg.InternalIP.IsValid() {
		o.NAT = map[netip.Addr]netip.Addr{cfg.InternalIP: cfg.IP}
	}
	m, err := middle.New(o)
	if err != nil {
		return nil, nil, err
	}
	if err := m.Start(ctx); err != nil {
		return nil, nil, err
	}
	a.middle = m
	a.metrics.SetMiddle(m)
	return m, m.Targets, nil
}

// probeMethod is the prober's exchange: the MTProto req_pq_multi in direct
// mode, the RPC handshake with the proxy's own secret and addresses in
// middle mode.
func (a *app) probeMethod(timeout time.Duration) dcprobe.Method {
	if a.middle != nil {
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

// reload is SIGHUP: in middle mode, download Telegram's files now (the
// refresh validates them and swaps them in without dropping clients).
func (a *app) reload(ctx context.Context) {
	if a.middle == nil {
		a.log.Info("SIGHUP: nothing to reload in direct mode")
		return
	}
	a.log.Info("SIGHUP: refreshing Telegram's proxy config")
	go func() {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := a.middle.Refresh(ctx); err != nil {
			a.log.Warn("refresh of Telegram's proxy config failed; the last good one stays in use", zap.Error(err))
		}
	}()
}

// modeMetric maps the configured mode to the metrics' one.
func modeMetric(m config.Mode) metrics.Mode {
	if m == config.ModeMiddle {
		return metrics.ModeMiddle
	}
	return metrics.ModeDirect
}
