package proxy

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/rawtcp"
	"github.com/mtproxy/mtproxy/internal/timex"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/replay"
	"github.com/mtproxy/mtproxy/proxy/unauth"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

const tracerName = "github.com/mtproxy/mtproxy/proxy"

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("proxy: server closed")

// Proxy accepts MTProto clients and hands authenticated ones to its Upstream.
type Proxy struct {
	o        Options
	keys     [][16]byte
	replay   *replay.Cache
	started  time.Time // for the bound on uptime timestamps
	upstream Upstream
	obs      Observer
	panics   recovery.Observer // the Observer, when it counts panics
	log      *zap.Logger
	tracer   trace.Tracer
	spanKind trace.SpanStartOption // the handshake span's, built once (an allocation each time)
	hello    sync.Pool             // *[]byte, ClientHello scratch
	wire     sync.Pool             // *[earlyReaderSize]byte, a handshake's reads
	bufs     *bufferPool
	chunk    int             // relay payload per read
	dogs     timex.Watchdogs // the relays' idle watchdogs, one timer per period
	profile  ProfileSource
	unauth   *unauth.Tracker
	loops    loopGuard
	dial     func(ctx context.Context) (net.Conn, error) // to the fronting host; nil: none

	active  atomic.Int64 // client connections open
	authed  atomic.Int64 // authenticated ones, limited by MaxConnections
	nextID  atomic.Uint64
	closing atomic.Bool

	// ctx is cancelled to abort every connection at once (hard stop).
	ctx    context.Context
	cancel context.CancelFunc
	// draining is cancelled when Shutdown starts: connections not yet
	// authenticated (in their handshake, fronted or drained) close then,
	// so only clients' relays hold the drain up.
	draining   context.Context
	startDrain context.CancelFunc
	conns      sync.WaitGroup
	live       liveConns

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
}

// bufferSize applies BufferSize's default and floor.
func bufferSize(n int) int {
	defaults.Set(&n, DefaultBufferSize)
	return max(n, MinBufferSize)
}

// New validates o, fills in defaults and returns a Proxy.
func New(o Options) (*Proxy, error) {
	switch {
	case len(o.Secrets) == 0 && o.Users == nil:
		return nil, ErrNoSecrets
	case len(o.Secrets) > 0 && o.Users != nil:
		return nil, ErrSecretsAndUsers
	case len(o.Secrets) > MaxSecrets:
		return nil, ErrTooManySecrets
	case o.TLSOnly && o.TLSDomain == "":
		return nil, ErrTLSOnly
	case o.Upstream == nil:
		return nil, ErrNoUpstream
	case o.MaxUnauth > 0 && o.MaxUnauthPerIP > o.MaxUnauth:
		return nil, ErrUnauthLimits
	}
	if o.FrontingAddr == "" && o.TLSDomain != "" {
		o.FrontingAddr = net.JoinHostPort(o.TLSDomain, "443")
	}
	defaults.Set(&o.FrontingTimeout, DefaultFrontingTimeout)
	defaults.Set(&o.FrontingMaxBytes, DefaultFrontingMaxBytes)
	defaults.Set(&o.FrontingLifetime, DefaultFrontingLifetime)
	defaults.Set(&o.DrainTimeout, DefaultDrainTimeout)
	defaults.SetPositive(&o.MaxUnauth, DefaultMaxUnauth)
	defaults.SetPositive(&o.MaxUnauthPerIP, min(DefaultMaxUnauthPerIP, o.MaxUnauth))
	defaults.Set(&o.TLSRecordInitial, DefaultTLSRecordInitial)
	defaults.Set(&o.TLSRecordRamp, DefaultTLSRecordRamp)
	if o.OwnAddr == nil {
		o.OwnAddr = func(a netip.Addr) bool { return a.IsLoopback() }
	}
	defaults.Set(&o.TimeSkew, DefaultTimeSkew)
	defaults.Set(&o.ReplayCacheSize, DefaultReplayCacheSize)
	defaults.Set(&o.MaxConnections, DefaultMaxConnections)
	defaults.Set(&o.HandshakeTimeout, DefaultHandshakeTimeout)
	defaults.Set(&o.KeepAlive, DefaultKeepAlive)
	o.BufferSize = bufferSize(o.BufferSize)
	defaults.Set(&o.BulkBuffers, DefaultBulkBuffers)
	defaults.Set(&o.Logger, zap.NewNop())
	defaults.Set[Observer](&o.Observer, NopObserver{})
	defaults.Set[trace.TracerProvider](&o.TracerProvider, noop.NewTracerProvider())
	defaults.Set(&o.Rand, rand.Reader)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ReplayCache == nil {
		o.ReplayCache = replay.New(o.ReplayCacheSize)
	}
	p := &Proxy{
		o:         o,
		replay:    o.ReplayCache,
		started:   o.Now(),
		upstream:  o.Upstream,
		obs:       o.Observer,
		panics:    recovery.ObserverOf(o.Observer),
		log:       o.Logger,
		tracer:    o.TracerProvider.Tracer(tracerName),
		spanKind:  trace.WithSpanKind(trace.SpanKindServer),
		chunk:     o.BufferSize,
		bufs:      newBufferPool(o.BufferSize, max(o.BulkBuffers, 0)),
		profile:   o.TLSProfile,
		unauth:    unauth.New(o.MaxUnauth, o.MaxUnauthPerIP),
		dial:      o.FrontingDial,
		listeners: map[net.Listener]struct{}{},
	}
	if p.dial == nil && o.FrontingAddr != "" {
		p.dial = func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", o.FrontingAddr)
		}
	}
	if o.TLSDomain != "" {
		p.chunk = min(o.BufferSize, faketls.MaxRecordPayload)
	}
	for _, s := range o.Secrets {
		p.keys = append(p.keys, s.Key)
	}
	if p.profile == nil {
		fb, err := faketls.FallbackProfile(o.Rand)
		if err != nil {
			return nil, err
		}
		p.profile = fixedProfile{&fb}
	}
	p.hello.New = func() any {
		b := make([]byte, faketls.HelloBufferSize)
		return &b
	}
	p.wire.New = func() any { return new([earlyReaderSize]byte) }
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.draining, p.startDrain = context.WithCancel(p.ctx)
	context.AfterFunc(p.ctx, p.live.closeAll)
	context.AfterFunc(p.draining, p.live.closeHandshakes)
	return p, nil
}

// ActiveConnections returns the number of client connections open now,
// authenticated or not.
func (p *Proxy) ActiveConnections() int { return int(p.active.Load()) }

// UnauthStats describes the connections not yet authenticated.
type UnauthStats struct {
	Open         int // handshaking, fronted or drained now
	Limit, PerIP int // MaxUnauth, MaxUnauthPerIP
}

// Unauthenticated returns the connections not yet authenticated and their
// limits.
func (p *Proxy) Unauthenticated() UnauthStats {
	total, perIP := p.unauth.Limits()
	return UnauthStats{Open: p.unauth.Len(), Limit: total, PerIP: perIP}
}

// BufferStats returns the relay buffers' use.
func (p *Proxy) BufferStats() BufferStats { return p.bufs.stats() }

// MaxConnections returns the limit of authenticated connections.
func (p *Proxy) MaxConnections() int { return p.o.MaxConnections }

// Serve accepts connections on ln until Shutdown or Close, or until ln
// fails. It always returns a non-nil error: ErrServerClosed after a
// shutdown.
func (p *Proxy) Serve(ln net.Listener) error {
	keepAlive := p.listenerKeepAlive(ln)
	if tl, ok := ln.(*net.TCPListener); ok && keepAlive {
		// Accepted sockets inherit the keepalive just set; rawtcp accepts,
		// reads and closes them without waking the runtime's monitor.
		if rl, ok := rawtcp.Wrap(tl); ok {
			defer rl.Detach()
			ln = rl
		}
	}
	if !p.track(ln, true) {
		return ErrServerClosed
	}
	defer p.track(ln, false)
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if p.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of file descriptors or a transient failure: back off
				// instead of spinning, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				p.log.Warn("accept failed, retrying", zap.Error(err), zap.Duration("in", backoff))
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		// No limit here: the socket joins the unauthenticated ones in its
		// own goroutine (evicting the oldest at a limit), and
		// MaxConnections applies once it authenticates.
		if p.admit(conn, false) != nil {
			continue
		}
		go p.serveConnHandoff(conn, keepAlive)
	}
}

// admit counts an accepted connection and checks it may be served: not
// while shutting down, and, for one already authenticated by its carrier
// (authed), not over MaxConnections, whose slot it then takes. A refused
// connection is counted, closed and its reason returned (ErrServerClosed
// or ErrConnectionLimit); an admitted one must be handed to serveConn.
func (p *Proxy) admit(conn net.Conn, authed bool) error {
	p.obs.ClientAccepted()
	err := p.enter(authed)
	if err == nil {
		return nil
	}
	reason := RejectShutdown
	if err == ErrConnectionLimit {
		reason = RejectLimit
	}
	p.obs.ClientRejected(reason)
	p.obs.ClientClosed(CloseEvent{Secret: -1})
	_ = conn.Close()
	return err
}

// enter takes a connection's place in active and conns (and for an
// authenticated one its MaxConnections slot), unless the proxy is closing
// or full. It checks and counts under the lock closeListeners sets closing
// under: a connection either joins conns before Shutdown waits for them or
// sees closing, never slips in after the wait began.
func (p *Proxy) enter(authed bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closing.Load() {
		return ErrServerClosed
	}
	if authed && p.authed.Add(1) > int64(p.o.MaxConnections) {
		p.authed.Add(-1)
		return ErrConnectionLimit
	}
	p.active.Add(1)
	p.conns.Add(1)
	return nil
}

func (p *Proxy) track(ln net.Listener, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		if p.closing.Load() {
			return false
		}
		p.listeners[ln] = struct{}{}
	} else {
		delete(p.listeners, ln)
	}
	return true
}

// Shutdown stops accepting and closes the connections not yet
// authenticated (handshakes, fronted and drained sockets), then waits for
// the authenticated ones to end until ctx is done, when it closes the
// rest. If it had to close connections it returns a *DrainError, which
// wraps ctx's error and counts the connections still open at that moment.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.closeListeners()
	p.startDrain()
	done := make(chan struct{})
	go func() { p.conns.Wait(); close(done) }()
	select {
	case <-done:
		p.cancel()
		return nil
	case <-ctx.Done():
		open := p.ActiveConnections()
		p.cancel()
		<-done
		return &DrainError{Open: open, Err: ctx.Err()}
	}
}

// Close stops accepting and closes every connection at once.
func (p *Proxy) Close() error {
	p.closeListeners()
	p.cancel()
	p.conns.Wait()
	return nil
}

func (p *Proxy) closeListeners() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closing.Store(true)
	for ln := range p.listeners {
		_ = ln.Close()
	}
}
