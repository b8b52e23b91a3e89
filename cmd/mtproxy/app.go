package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/health/netinfo"
	"github.com/mtproxy/mtproxy/metrics"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/fronthost"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/proxyheader"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/tlsprofile"
	"github.com/mtproxy/mtproxy/status"
	"github.com/mtproxy/mtproxy/tracing"
	"go.opentelemetry.io/otel"
	"go.uber.org/zap"
)

// app is the running proxy and everything around it.
type app struct {
	cfg       *config.Config
	log       *zap.Logger
	tp        tracing.Provider
	metrics   *metrics.Metrics
	nat       netinfo.Result
	middle    *middle.Middle // nil in direct mode
	auto      *auto.Auto     // MODE=auto only
	proxy     *proxy.Proxy
	prober    *dcprobe.Prober
	clock     *clockskew.Monitor
	front     *fronthost.Resolver // nil without a fronting host
	profile   *tlsprofile.Watcher // nil without FakeTLS
	replay    *replayStore
	ln        net.Listener
	httpLn    net.Listener
	http      *status.Server
	web       *webProxy    // nil unless WEBPROXY_LISTEN is set
	state     *sharedState // nil unless STATE_URL is set
	listening atomic.Bool

	users     *usersApp       // nil without USERS_FILE and ADMIN_TOKEN
	usersDone <-chan struct{} // closed when the users' final save is written
	stopUsers context.CancelFunc
}

// newApp builds every component and opens both listeners, so that a port
// in use is reported before the start-up lines promise anything.
func newApp(ctx context.Context, cfg *config.Config, log *zap.Logger) (_ *app, err error) {
	a := &app{cfg: cfg, log: log}
	if a.tp, err = tracing.Setup(ctx, version); err != nil {
		return nil, err
	}
	if a.tp.Enabled() {
		log.Info("tracing enabled (OTLP)")
		// Export failures would otherwise go to stderr unstructured.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			log.Warn("trace export failed", zap.Error(err))
		}))
	}
	table := dc.Builtin().WithOverrides(cfg.DCAddrs)
	secrets := make([]proxy.Secret, len(cfg.Secrets))
	for i, s := range cfg.Secrets {
		secrets[i] = proxy.Secret{Name: s.Name, Key: s.Key}
	}
	b := currentBuild()
	a.metrics = metrics.New(metrics.Options{
		Secrets: metrics.SecretLabels(secrets), DCs: table.IDs(), Mode: modeMetric(cfg.Mode),
		Version: b.Version, Revision: b.Revision, Workers: cfg.Workers, MaxConnections: cfg.MaxConnections,
		ProxyTagSet: cfg.HasTag, StatsPort: cfg.InternalPort,
	})
	a.metrics.SetListening(a.listening.Load)
	a.nat = a.detectAddresses(ctx)
	a.metrics.SetNAT(a.nat)

	skew := clockskew.Options{Servers: cfg.NTPServers}
	if a.clock, err = clockskew.NewMonitor(skew, skewFanout{&skewLog{log: log, opts: skew}, a.metrics}); err != nil {
		return nil, err
	}
	a.metrics.SetDateSink(a.clock)
	if err = a.newFronting(ctx); err != nil {
		return nil, err
	}
	if a.profile != nil {
		a.metrics.SetTLSProfile(a.profile)
	}
	prefer, err := dc.ParsePreference(string(cfg.PreferIP))
	if err != nil {
		return nil, err
	}
	upstream, targets, err := a.newUpstream(ctx, table, prefer)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.closeUpstream()
		}
	}()
	a.prober = &dcprobe.Prober{
		Targets:  targets,
		Method:   a.probeMethod(min(cfg.DialTimeout, dcprobe.DefaultTimeout)),
		Interval: cfg.DCProbeInterval,
		Observer: probeFanout{&probeLog{log: log}, a.metrics},
	}
	a.metrics.SetProber(a.prober)

	if a.state, err = a.newState(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.state.close()
		}
	}()
	if a.users, err = a.newUsers(secrets); err != nil {
		return nil, err
	}
	a.replay = openReplayStore(cfg.ReplayCacheFile, log)
	po := proxy.Options{
		Secrets: secrets, TLSDomain: cfg.TLSDomain, TLSOnly: cfg.TLSOnly, FrontingAddr: cfg.FrontingAddr,
		TimeSkew: cfg.TimeSkew, ReplayCache: a.replay.cache, DisableUptimeTimestamps: cfg.RefuseUptimeTimestamps,
		Upstream: upstream, MaxConnections: cfg.MaxConnections,
		HandshakeTimeout: cfg.HandshakeTimeout, Logger: log.Named("proxy"), Observer: a.metrics, TracerProvider: a.tp,
	}
	if a.state != nil {
		// The local cache is asked first; the store gets its digests
		// whenever it is new to this replica (start, an emptied store).
		a.state.store.Replay().SetLocalCache(a.replay.cache)
		po.SharedReplay = a.state.store.Replay()
	}
	if a.users != nil {
		po.Secrets, po.Users = nil, a.users.reg.Engine()
		a.metrics.SetUsers(a.users.reg, cfg.UsersMetricsTop)
		if err := a.newAdmin(); err != nil {
			return nil, err
		}
	}
	if err = a.frontingOptions(&po); err != nil {
		return nil, err
	}
	if a.proxy, err = proxy.New(po); err != nil {
		return nil, err
	}
	a.metrics.SetProxy(a.proxy)
	if a.ln, err = listen(cfg.Bind, cfg.Port, "PORT"); err != nil {
		return nil, err
	}
	a.ln = proxyheader.Listen(a.ln, cfg.ProxyProtocolTrusted, cfg.HandshakeTimeout)
	if a.httpLn, err = listen(cfg.InternalBind, cfg.InternalPort, "INTERNAL_PORT"); err != nil {
		a.ln.Close()
		return nil, err
	}
	a.http = status.New(a.metrics, status.Options{StatsAllow: cfg.StatsAllow, MetricsAllow: cfg.MetricsAllow, HealthAllow: cfg.HealthAllow})
	if a.web, err = a.newWebProxy(); err != nil {
		a.ln.Close()
		a.httpLn.Close()
		return nil, err
	}
	a.mountAdmin()
	return a, nil
}

// detectAddresses finds the internal and external addresses. It never
// fails: with no network the result is Unknown and the links get a
// placeholder host.
func (a *app) detectAddresses(ctx context.Context) netinfo.Result {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := netinfo.Detect(ctx, netinfo.Options{
		ConfiguredIP: a.cfg.IP, ConfiguredInternalIP: a.cfg.InternalIP, DetectURLs: a.cfg.IPDetectURLs,
		DisableIPv6: a.cfg.PreferIP == config.OnlyIPv4,
	}, a.metrics)
	for _, w := range res.Warnings {
		a.log.Warn(w)
	}
	if err != nil {
		a.log.Warn("could not detect the external address; the links show a placeholder host", zap.Error(err))
	}
	a.log.Info("addresses", zap.Stringer("nat", res.State), zap.String("source", res.Source),
		addrField("internal", res.Internal), addrField("external", res.External))
	return res
}

// externalIP is the address put in the links (zero when unknown).
func (a *app) externalIP() netip.Addr {
	if a.nat.External.IsValid() {
		return a.nat.External
	}
	return a.nat.External6
}

// start runs the listeners and the background monitors. The channel
// receives the first fatal serving error.
func (a *app) start(ctx context.Context) <-chan error {
	failed := make(chan error, 3)
	a.listening.Store(true)
	go func() {
		err := a.proxy.Serve(a.ln)
		a.listening.Store(false)
		if !errors.Is(err, proxy.ErrServerClosed) {
			failed <- fmt.Errorf("client listener: %w", err)
		}
	}()
	go func() {
		if err := a.http.Serve(a.httpLn); !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("internal listener: %w", err)
		}
	}()
	if a.web != nil {
		go func() {
			if err := a.web.srv.Serve(a.web.ln); !errors.Is(err, http.ErrServerClosed) {
				failed <- fmt.Errorf("WEB proxy listener: %w", err)
			}
		}()
	}
	// A panic in a background loop is logged, counted and the loop
	// restarted; the proxy serves on.
	go recovery.Loop(ctx, recovery.Prober, a.log, a.metrics, a.prober.Run)
	go recovery.Loop(ctx, recovery.Clock, a.log, a.metrics, a.clock.Run)
	if a.front != nil {
		go recovery.Loop(ctx, recovery.Background, a.log, a.metrics, a.front.Run)
	}
	if a.profile != nil {
		go recovery.Loop(ctx, recovery.Background, a.log, a.metrics, a.profile.Run)
	}
	if a.auto != nil {
		go recovery.Loop(ctx, recovery.Background, a.log, a.metrics, a.auto.Run)
	}
	uctx, cancel := context.WithCancel(ctx)
	a.stopUsers = cancel
	a.usersDone = a.runUsers(uctx)
	go recovery.Loop(ctx, recovery.Background, a.log, a.metrics, a.replay.run)
	a.state.run()
	return failed
}

// shutdown stops accepting, lets connections drain for ShutdownTimeout,
// then closes the rest and flushes traces.
func (a *app) shutdown() int {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	code := exitOK
	a.listening.Store(false)
	if err := a.proxy.Shutdown(ctx); err != nil {
		open := -1
		if de := (*proxy.DrainError)(nil); errors.As(err, &de) {
			open = de.Open
		}
		a.log.Warn("connections did not drain in time, closed them", zap.Int("open", open))
	}
	a.closeUpstream()
	if a.stopUsers != nil { // the last quota counts are saved
		a.stopUsers()
		<-a.usersDone
	}
	a.replay.save()
	a.state.close()
	hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer hcancel()
	if a.web != nil {
		// Carried streams drained with the others above; the sessions
		// left end now, which answers their parked polls.
		_ = a.web.carrier.Close()
		_ = a.web.srv.Shutdown(hctx)
	}
	_ = a.http.Shutdown(hctx)
	if err := a.tp.Shutdown(hctx); err != nil {
		a.log.Warn("flushing traces failed", zap.Error(err))
	}
	a.log.Info("stopped")
	return code
}

// abort releases a built app that never started (a stop signal arrived
// during start-up): both listeners, the upstream and the tracer.
func (a *app) abort() {
	_ = a.ln.Close()
	_ = a.httpLn.Close()
	_ = a.proxy.Close()
	a.closeUpstream()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = a.tp.Shutdown(ctx)
}

// closeUpstream stops the middle-proxy pool, if any.
func (a *app) closeUpstream() {
	if a.middle != nil {
		_ = a.middle.Close()
	}
}

// listen opens a TCP listener, turning the usual failures into one clear
// line naming the variable.
func listen(bind netip.Addr, port int, variable string) (net.Listener, error) {
	host := ""
	if bind.IsValid() {
		host = bind.String()
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	// KeepAlive -1: the listener leaves accepted sockets' keepalive alone.
	// On PORT the engine sets it on every client (proxy.Options.KeepAlive),
	// so Go's default set the same four options twice per connection; the
	// status server's requests are short and need none.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, os.ErrPermission) && port < 1024:
		return nil, fmt.Errorf("%s: cannot listen on %s: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE; example: %s=8443)", variable, addr, variable)
	case isAddrInUse(err):
		return nil, fmt.Errorf("%s: cannot listen on %s: the port is already in use (example: %s=%d)", variable, addr, variable, port+1)
	}
	return nil, fmt.Errorf("%s: cannot listen on %s: %w", variable, addr, err)
}

// addrField logs an address, "unknown" when it is not set.
func addrField(key string, a netip.Addr) zap.Field {
	if !a.IsValid() {
		return zap.String(key, "unknown")
	}
	return zap.Stringer(key, a)
}
