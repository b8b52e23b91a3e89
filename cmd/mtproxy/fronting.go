package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/fronthost"
	"github.com/mtproxy/mtproxy/proxy/proxyheader"
	"github.com/mtproxy/mtproxy/proxy/tlsprofile"
	"go.uber.org/zap"
)

// frontingTarget is where failed handshakes go: FRONTING_ADDR, else
// TLS_DOMAIN:443, else nowhere ("").
func frontingTarget(cfg *config.Config) string {
	switch {
	case cfg.FrontingAddr != "":
		return cfg.FrontingAddr
	case cfg.TLSDomain != "":
		return net.JoinHostPort(cfg.TLSDomain, "443")
	}
	return ""
}

// self is where this proxy accepts clients, as a fronting address could
// lead back to it.
func (a *app) self() fronthost.Self {
	return fronthost.Self{
		Port: a.cfg.Port, Bind: a.cfg.Bind,
		External: []netip.Addr{a.cfg.IP, a.nat.External, a.nat.External6},
		Local:    append([]netip.Addr{a.cfg.InternalIP, a.nat.Internal, a.nat.Internal6}, fronthost.InterfaceAddrs()...),
	}
}

// newFronting resolves the fronting host once, refusing an address that
// is this proxy (every probe would loop back to it), and prepares the
// watcher of the site's TLS profile. A host that does not resolve yet is a
// warning: the resolver keeps trying.
func (a *app) newFronting(ctx context.Context) error {
	target := frontingTarget(a.cfg)
	if target == "" {
		return nil
	}
	network := "ip"
	switch a.cfg.PreferIP {
	case config.OnlyIPv4:
		network = "ip4"
	case config.OnlyIPv6:
		network = "ip6"
	}
	var err error
	a.front, err = fronthost.New(fronthost.Options{Addr: target, Network: network, Self: a.self().Is},
		fronthostFanout{&frontLog{log: a.log}, a.metrics})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, fronthost.DefaultTimeout)
	defer cancel()
	addrs, err := a.front.Refresh(rctx)
	switch {
	case errors.Is(err, fronthost.ErrSelf):
		return selfFrontingError(a.cfg, target, err)
	case err != nil:
		a.log.Warn("the fronting host does not resolve yet; failed handshakes are closed until it does",
			zap.String("fronting", target), zap.Error(err))
	default:
		a.log.Info("fronting", zap.String("fronting", target), zap.Int("addresses", len(addrs)))
	}
	if a.cfg.TLSDomain == "" {
		return nil
	}
	a.profile, err = tlsprofile.NewWatcher(tlsprofile.Options{
		Addr: target, ServerName: a.cfg.TLSDomain, Interval: a.cfg.TLSProfileInterval,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) { return a.front.Dial(ctx) },
	}, profileFanout{&profileLog{log: a.log}, a.metrics})
	return err
}

// frontingOptions sets the engine's fronting and probe-resistance options
// from the configuration and the components newFronting built.
func (a *app) frontingOptions(o *proxy.Options) error {
	c := a.cfg
	var err error
	if o.UnknownSNI, err = proxy.ParseSNIPolicy(string(c.UnknownSNI)); err != nil {
		return err
	}
	if o.FrontingProxyProtocol, err = proxyheader.ParseVersion(c.FrontingProxyProtocol); err != nil {
		return err
	}
	o.FrontingLifetime, o.FrontingMaxBytes, o.DrainTimeout = c.FrontingLifetime, c.FrontingMaxBytes, c.DrainTimeout
	o.MaxUnauth, o.MaxUnauthPerIP = c.MaxUnauth, c.MaxUnauthPerIP
	o.TLSRecordInitial, o.TLSRecordRamp = c.TLSRecordInitial, c.TLSRecordRamp
	if c.TLSRecordInitial == 0 || c.TLSRecordRamp == 0 {
		o.TLSRecordInitial, o.TLSRecordRamp = -1, -1 // 0 in the configuration: full records at once
	}
	self := a.self()
	o.OwnAddr = func(ip netip.Addr) bool {
		return ip.IsLoopback() || slices.Contains(self.External, ip) || slices.Contains(self.Local, ip)
	}
	if a.front != nil {
		o.FrontingDial = a.front.Dial
	}
	if a.profile != nil {
		o.TLSProfile = a.profile
	}
	return nil
}

// selfFrontingError is the one line refusing to start on a fronting
// address that is this proxy.
func selfFrontingError(cfg *config.Config, target string, err error) error {
	var se *fronthost.SelfError
	self := "its PORT on this host"
	if errors.As(err, &se) {
		self = se.Self.String()
	}
	if cfg.FrontingAddr != "" {
		return &config.Error{Var: "FRONTING_ADDR", Err: config.ErrConflict, Example: "FRONTING_ADDR=10.0.0.9:443",
			Problem: fmt.Sprintf("%s is this proxy (%s): every probe would be fronted back to the proxy in a loop; point it at the real site", target, self)}
	}
	return &config.Error{Var: "TLS_DOMAIN", Err: config.ErrConflict, Example: "FRONTING_ADDR=10.0.0.9:443",
		Problem: fmt.Sprintf("%s resolves to this proxy (%s) and FRONTING_ADDR is not set: every probe would be fronted back to the proxy in a loop; set FRONTING_ADDR to the real site behind your domain", cfg.TLSDomain, self)}
}

// frontLog logs the fronting host's look-ups when their outcome changes.
type frontLog struct {
	log  *zap.Logger
	mu   sync.Mutex
	last fronthost.LookupResult
}

func (f *frontLog) FrontingLookup(res fronthost.LookupResult, addrs []netip.AddrPort, err error) {
	f.mu.Lock()
	changed := res != f.last
	f.last = res
	f.mu.Unlock()
	switch {
	case res == fronthost.LookupSelf:
		f.log.Error("the fronting host now resolves to this proxy: failed handshakes are closed instead of fronted in a loop; fix FRONTING_ADDR or the DNS", zap.Error(err))
	case !changed:
		f.log.Debug("fronting host looked up", zap.Stringer("result", res), zap.Int("addresses", len(addrs)), zap.Error(err))
	case res == fronthost.LookupOK:
		f.log.Info("the fronting host resolves again", zap.Int("addresses", len(addrs)))
	default:
		f.log.Warn("the fronting host does not resolve; the last addresses stay in use", zap.Int("addresses", len(addrs)), zap.Error(err))
	}
}

// profileLog logs the fronting site's TLS profile.
type profileLog struct{ log *zap.Logger }

func (p *profileLog) ProfileProbed(ob tlsprofile.Observation) {
	p.log.Info("recorded the fronting site's TLS answer; FakeTLS answers alike", zap.String("site", ob.Addr),
		zap.Stringer("profile", &ob), zap.Int("flight_bytes", ob.Profile.StandInLen()))
}

func (p *profileLog) ProfileFailed(err error, fallback bool) {
	if fallback {
		p.log.Warn("could not record the fronting site's TLS answer: FakeTLS answers with the fallback profile, which a prober comparing with the site may tell apart",
			zap.Stringer("result", tlsprofile.ResultOf(err)), zap.Error(err))
		return
	}
	p.log.Warn("could not refresh the fronting site's TLS answer; the last recorded one stays in use",
		zap.Stringer("result", tlsprofile.ResultOf(err)), zap.Error(err))
}

// fronthostFanout and profileFanout hand the events to the log and the
// metrics.
type fronthostFanout []fronthost.Observer

func (f fronthostFanout) FrontingLookup(res fronthost.LookupResult, addrs []netip.AddrPort, err error) {
	for _, o := range f {
		o.FrontingLookup(res, addrs, err)
	}
}

type profileFanout []tlsprofile.Observer

func (f profileFanout) ProfileProbed(ob tlsprofile.Observation) {
	for _, o := range f {
		o.ProfileProbed(ob)
	}
}

func (f profileFanout) ProfileFailed(err error, fallback bool) {
	for _, o := range f {
		o.ProfileFailed(err, fallback)
	}
}
