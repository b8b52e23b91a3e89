package proxy

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/replay"
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
	upstream Upstream
	obs      Observer
	log      *zap.Logger
	tracer   trace.Tracer
	hello    sync.Pool // *[]byte, ClientHello scratch
	bufs     *bufferPool
	chunk    int // relay payload per read

	active  atomic.Int64
	nextID  atomic.Uint64
	closing atomic.Bool

	// ctx is cancelled to abort every connection at once (hard stop).
	ctx    context.Context
	cancel context.CancelFunc
	conns  sync.WaitGroup

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
}

func cryptoRand() io.Reader { return rand.Reader }

func bufferSize(n int) int {
	switch {
	case n == 0:
		return 16 << 10
	case n < 1<<10:
		return 1 << 10
	}
	return n
}

// New validates o, fills in defaults and returns a Proxy.
func New(o Options) (*Proxy, error) {
	switch {
	case len(o.Secrets) == 0:
		return nil, ErrNoSecrets
	case len(o.Secrets) > MaxSecrets:
		return nil, ErrTooManySecrets
	case o.TLSOnly && o.TLSDomain == "":
		return nil, ErrTLSOnly
	case o.Upstream == nil:
		return nil, ErrNoUpstream
	}
	if o.FrontingAddr == "" && o.TLSDomain != "" {
		o.FrontingAddr = net.JoinHostPort(o.TLSDomain, "443")
	}
	setDefault(&o.FrontingTimeout, 30*time.Second)
	setDefault(&o.FrontingMaxBytes, 16<<20)
	setDefault(&o.DrainTimeout, 30*time.Second)
	setDefault(&o.TimeSkew, 2*time.Minute)
	setDefault(&o.ReplayCacheSize, 65536)
	setDefault(&o.MaxConnections, 60000)
	setDefault(&o.HandshakeTimeout, 10*time.Second)
	setDefault(&o.IdleTimeout, 5*time.Minute)
	setDefault(&o.KeepAlive, 15*time.Second)
	o.BufferSize = bufferSize(o.BufferSize)
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.TracerProvider == nil {
		o.TracerProvider = noop.NewTracerProvider()
	}
	if o.Rand == nil {
		o.Rand = cryptoRand()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Proxy{
		o:         o,
		replay:    replay.New(o.ReplayCacheSize, 2*o.TimeSkew),
		upstream:  o.Upstream,
		obs:       o.Observer,
		log:       o.Logger,
		tracer:    o.TracerProvider.Tracer(tracerName),
		chunk:     o.BufferSize,
		bufs:      newBufferPool(o.BufferSize),
		listeners: map[net.Listener]struct{}{},
	}
	if o.TLSDomain != "" {
		p.chunk = min(o.BufferSize, faketls.MaxRecordPayload)
	}
	for _, s := range o.Secrets {
		p.keys = append(p.keys, s.Key)
	}
	p.hello.New = func() any {
		b := make([]byte, faketls.HelloBufferSize)
		return &b
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// ActiveConnections returns the number of client connections open now.
func (p *Proxy) ActiveConnections() int { return int(p.active.Load()) }

// BufferStats returns the relay buffers' use.
func (p *Proxy) BufferStats() BufferStats { return p.bufs.stats() }

// MaxConnections returns the connection limit.
func (p *Proxy) MaxConnections() int { return p.o.MaxConnections }

// Serve accepts connections on ln until Shutdown or Close, or until ln
// fails. It always returns a non-nil error: ErrServerClosed after a
// shutdown.
func (p *Proxy) Serve(ln net.Listener) error {
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
		p.obs.ClientAccepted()
		if p.closing.Load() {
			p.obs.ClientRejected(RejectShutdown)
			p.obs.ClientClosed(CloseEvent{Secret: -1})
			_ = conn.Close()
			continue
		}
		if p.active.Add(1) > int64(p.o.MaxConnections) {
			p.active.Add(-1)
			p.obs.ClientRejected(RejectLimit)
			p.obs.ClientClosed(CloseEvent{Secret: -1})
			_ = conn.Close()
			continue
		}
		p.conns.Add(1)
		go p.serveConn(conn)
	}
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

// Shutdown stops accepting, then waits for open connections to end until
// ctx is done, when it closes the rest. It returns ctx's error if it had
// to close connections.
func (p *Proxy) Shutdown(ctx context.Context) error {
	p.closeListeners()
	done := make(chan struct{})
	go func() { p.conns.Wait(); close(done) }()
	select {
	case <-done:
		p.cancel()
		return nil
	case <-ctx.Done():
		p.cancel()
		<-done
		return ctx.Err()
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
