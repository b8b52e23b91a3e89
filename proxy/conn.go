package proxy

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/internal/rawio"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/unauth"
	"github.com/mtproxy/mtproxy/tracing/spanattr"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// serveConn is one connection's scope: its id, context, span and logger,
// from accept to close. authed says the connection's carrier authenticated
// it and admit took its MaxConnections slot already. It returns once the
// connection is closed.
func (p *Proxy) serveConn(conn net.Conn, authed bool) {
	if c, ctx, sess := p.openConn(conn, authed, false); sess != nil {
		c.serveSession(ctx, sess)
	}
}

// serveConnHandoff is serveConn for the accept loop's goroutine: once the
// client is authenticated, its session continues on a fresh goroutine and
// this one ends. The handshake grows a goroutine's stack (hashing, key
// schedules, the ClientHello) and the runtime shrinks a stack only during
// a garbage collection, which an idle proxy does not run; the fresh
// goroutine starts with a stack sized to what parked sessions use, so an
// idle client costs a few KiB of stack instead of the handshake's peak.
// keepAlive says the socket got its keepalive from its listener.
func (p *Proxy) serveConnHandoff(conn net.Conn, keepAlive bool) {
	growStack()
	if c, ctx, sess := p.openConn(conn, false, keepAlive); sess != nil {
		go c.serveSession(ctx, sess)
	}
}

// connScope is what a connection's end needs: it outlives the goroutine
// that accepted the connection when the session is handed off.
type connScope struct {
	p      *Proxy
	conn   net.Conn
	start  time.Time
	closed CloseEvent
	prog   *progress
	// prev and next link the open connections (Proxy.live); handshaking
	// is set until authenticate's end, under live's mutex.
	prev, next  *connScope
	handshaking bool
	// authed: the connection holds one of MaxConnections' slots (taken by
	// admit for a carried one, at authentication for the others).
	authed bool
	// keepAlive: the socket has its keepalive from its listener's.
	keepAlive bool
	lease     Lease // the user's, released when the connection ends; nil without Options.Users
}

// openConn authenticates conn. It returns the session of an authenticated
// client, to be served with serveSession, or a nil one once the
// connection was fronted or closed and reported.
func (p *Proxy) openConn(conn net.Conn, authed, keepAlive bool) (*connScope, context.Context, *Session) {
	c := &connScope{p: p, conn: conn, start: p.o.Now(), closed: CloseEvent{Secret: -1}, prog: newProgress(p.obs), authed: authed, keepAlive: keepAlive}
	p.live.add(c) // closed when the proxy stops, and until authenticated when it drains
	ctx, sess := p.authenticate(conn, c, authed)
	if sess == nil {
		c.finish()
		return nil, nil, nil
	}
	return c, ctx, sess
}

// serveSession hands an authenticated client to the upstream and closes
// the connection when the upstream is done with it.
//
// An authenticated connection spends its whole life parked below this
// frame (in Upstream.Serve), so the work before and after it lives in
// functions of their own that are not inlined: their locals (log fields,
// events, the handshake's scratch) are off the stack while the client
// idles.
func (c *connScope) serveSession(ctx context.Context, sess *Session) {
	defer c.finish()
	// A panic in the upstream's Serve closes this connection only; it is
	// logged with its stack and counted, and finish still reports the end.
	defer recovery.Guard(recovery.Conn, sess.Logger, c.p.panics, func() { _ = c.conn.Close() })
	err := c.p.upstream.Serve(ctx, sess)
	c.p.sessionEnded(sess, err, &c.closed)
}

// finish releases the user's lease and the connection's slot, closes the
// connection and reports it.
//
//go:noinline
func (c *connScope) finish() {
	p := c.p
	if c.lease != nil {
		c.lease.Release()
	}
	if c.authed {
		p.authed.Add(-1)
	}
	_ = c.conn.Close()
	p.live.remove(c)
	c.closed.Duration = p.o.Now().Sub(c.start)
	c.closed.Stage = c.prog.at()
	p.active.Add(-1) // before the report: an observer reading ActiveConnections sees it gone
	p.obs.ClientClosed(c.closed)
	p.conns.Done()
}

// authenticate runs the handshake under its span and logger and returns the
// session of an authenticated client, or nil once a failed one was fronted
// or closed.
//
//go:noinline
func (p *Proxy) authenticate(conn net.Conn, c *connScope, authed bool) (context.Context, *Session) {
	start, closed, prog := c.start, &c.closed, c.prog
	id := p.nextID.Add(1)
	// Attributes are built only for a span that records (tracing is off
	// by default), and the logger's fields are encoded only if a line is
	// written: neither costs an idle or quiet connection anything.
	ctx, span := p.tracer.Start(p.ctx, "mtproxy.handshake", p.spanKind)
	log, fields := p.handshakeLogger(id, span)
	// A panic in the handshake or fronting closes this connection only: it
	// is logged with its stack and counted, authenticate returns no
	// session, and openConn still reports the connection's end.
	defer recovery.Guard(recovery.Conn, log, p.panics, func() { _ = conn.Close() })
	recording := span.IsRecording()
	if recording {
		spanConnected(span, conn, id)
	}
	if !c.keepAlive {
		p.setKeepAlive(conn)
	}
	logConnected(log, conn)

	// Until it authenticates the connection is one of the unauthenticated
	// ones, which may evict it (the oldest at a limit) for a newer one.
	var evicted atomic.Bool
	var eviction atomic.Uint32
	var entry *unauth.Entry
	if !authed {
		remote := netx.AddrPort(conn.RemoteAddr()) // a PROXY header's address, from a trusted balancer
		entry = p.unauth.Admit(remote.Addr(), func(r unauth.Reason) {
			eviction.Store(uint32(r))
			evicted.Store(true)
			_ = conn.Close()
		})
		defer p.unauth.Release(entry)
		defer func() { closed.Evicted, closed.Eviction = evicted.Load(), Eviction(eviction.Load()) }()
	}

	_ = conn.SetDeadline(time.Now().Add(p.o.HandshakeTimeout)) // sockets run on the real clock, not Options.Now
	h := p.handshake(conn, prog)
	// After fronting, which may replay the bytes read; for an
	// authenticated client the 16 KiB ClientHello scratch and the read
	// buffer go back now, not when the connection ends: it never needs
	// them again.
	defer p.releaseBuffers(h)
	p.reportHandshake(ctx, h, start)
	closed.Protocol = h.proto
	if recording {
		spanHandshook(span, h)
	}
	if h.result != HandshakeOK {
		p.handshakeFailed(ctx, conn, h, span, log, &evicted, closed)
		return nil, nil
	}
	label := h.user
	if h.lease == nil {
		label = p.o.Secrets[h.secret].Label(h.secret)
	}
	if recording {
		spanAuthenticated(span, h.dc, label)
	}
	span.End()
	_ = conn.SetDeadline(time.Time{})
	closed.Secret, closed.DC, closed.Authenticated = h.secret, h.dc, true
	c.lease = h.lease // released by finish
	if !p.live.authenticated(c) {
		return nil, nil // the drain began during the handshake and closed it
	}
	prog.proto, prog.secret = h.proto, h.secret
	prog.reach(StageAuthenticated)
	if !authed {
		p.unauth.Release(entry)
		if evicted.Load() {
			return nil, nil // closed while it authenticated
		}
		if p.authed.Add(1) > int64(p.o.MaxConnections) {
			p.authed.Add(-1)
			p.obs.ClientRejected(RejectLimit)
			log.Debug("client over MaxConnections, closed")
			return nil, nil
		}
		c.authed = true // released by finish
	}

	return ctx, p.newSession(conn, h, prog, fields.authenticated(label, h.dc, h.proto))
}

// The functions below hold what authenticate does off its own frame: a
// fresh goroutine runs the handshake, and every byte of authenticate's
// frame sits under the deepest point of it (the key schedules).

// newSession is the session of the client authenticated by h.
//
//go:noinline
func (p *Proxy) newSession(conn net.Conn, h *handshake, prog *progress, fields *connFields) *Session {
	// One logger for the session and its relay, its fields one object: an
	// idle client holds the least (the handshake's logger is let go).
	log := p.log.WithLazy(zap.Inline(fields))
	client := &ClientConn{
		conn: conn, tls: h.tls, unwrap: h.unwrap, dec: h.acc.Decrypt, enc: h.acc.Encrypt,
		traffic: p.obs.Traffic(h.secret, h.dc), bufs: p.bufs, chunk: p.chunk, prog: prog,
		lease: h.lease, done: p.ctx.Done(), dogs: &p.dogs, early: h.early,
		rec: newRecordSizing(p.o.TLSRecordInitial, p.o.TLSRecordRamp),
		log: log, panics: p.panics,
	}
	client.rc, client.raw = rawio.RawConn(conn)
	sess := &Session{
		Transport: h.acc.Transport, DC: h.dc, Client: client,
		Remote: netx.AddrPort(conn.RemoteAddr()), Local: netx.AddrPort(conn.LocalAddr()),
	}
	if h.lease != nil {
		client.closed = make(chan struct{}) // ends a rate limit's pause
		sess.AdTag = h.lease.AdTag()
		// A revoked user's connection is closed once its grace is over.
		h.lease.OnRevoke(func() { _ = client.Close() })
	}
	sess.Logger = log
	log.Debug("client authenticated")
	return sess
}

// handshakeLogger returns the handshake's logger and its fields, encoded
// only if a line is written.
//
//go:noinline
func (p *Proxy) handshakeLogger(id uint64, span trace.Span) (*zap.Logger, *connFields) {
	fields := newConnFields(id, span.SpanContext())
	return p.log.WithLazy(zap.Inline(fields)), fields
}

// reportHandshake reports h's outcome to the Observer.
//
//go:noinline
func (p *Proxy) reportHandshake(ctx context.Context, h *handshake, start time.Time) {
	p.obs.Handshake(ctx, HandshakeEvent{
		Protocol: h.proto, Result: h.result, JA4: h.ja4, Secret: h.secret, DC: h.dc,
		Duration: p.o.Now().Sub(start),
	})
}

// handshakeFailed ends the span and the log of a failed handshake, and
// fronts or closes the connection.
//
//go:noinline
func (p *Proxy) handshakeFailed(ctx context.Context, conn net.Conn, h *handshake, span trace.Span, log *zap.Logger, evicted *atomic.Bool, closed *CloseEvent) {
	span.SetStatus(codes.Error, h.result.String())
	span.End()
	log.Info("handshake failed", zap.Stringer("reason", h.result), zap.Stringer("transport", h.proto),
		zap.NamedError("cause", h.err))
	p.failed(ctx, conn, h, evicted, closed, log)
}

// spanConnected gives a recording handshake span the connection's
// attributes. The client's address is deliberately not among them: traces
// leave the host, and client IPs are only ever logged at debug level.
//
//go:noinline
func spanConnected(span trace.Span, conn net.Conn, id uint64) {
	span.SetAttributes(spanattr.Local(conn.LocalAddr())...)
	span.SetAttributes(attribute.String("network.transport", "tcp"), attribute.Int64("mtproxy.conn_id", int64(id)))
}

// spanHandshook gives a recording handshake span the handshake's outcome.
//
//go:noinline
func spanHandshook(span trace.Span, h *handshake) {
	span.SetAttributes(attribute.String("mtproxy.transport", h.proto.String()),
		attribute.String("mtproxy.handshake.result", h.result.String()))
}

// spanAuthenticated gives a recording handshake span what an
// authenticated client reached: its DC and its secret's (or user's) label.
//
//go:noinline
func spanAuthenticated(span trace.Span, dc int, label string) {
	span.SetAttributes(attribute.Int("telegram.dc", dc), attribute.String("mtproxy.secret", label))
}

// logConnected logs a new connection at debug level.
//
//go:noinline
func logConnected(log *zap.Logger, conn net.Conn) {
	if ce := log.Check(zap.DebugLevel, "client connected"); ce != nil {
		ce.Write(zap.Stringer("client", conn.RemoteAddr()))
	}
}

// sessionEnded records and logs the end of an authenticated session.
//
//go:noinline
func (p *Proxy) sessionEnded(sess *Session, err error, closed *CloseEvent) {
	closed.BytesIn, closed.BytesOut = sess.Client.Bytes()
	log := sess.Logger
	switch {
	case err == nil:
		log.Debug("client closed", zap.Int64("bytes_in", closed.BytesIn), zap.Int64("bytes_out", closed.BytesOut))
	case errors.Is(err, ErrIdle):
		log.Debug("client idle, closed", zap.Int64("bytes_in", closed.BytesIn), zap.Int64("bytes_out", closed.BytesOut))
	default:
		log.Info("client relay ended", zap.Error(err), zap.Int64("bytes_in", closed.BytesIn),
			zap.Int64("bytes_out", closed.BytesOut))
	}
}

// releaseBuffers returns the handshake's ClientHello buffer and its read
// buffer to their pools, once.
func (p *Proxy) releaseBuffers(h *handshake) {
	if h.helloBuf != nil {
		p.hello.Put(h.helloBuf)
		h.helloBuf, h.consumed = nil, nil
	}
	if h.wire != nil {
		p.wire.Put(h.wire)
		h.wire, h.consumed, h.rd = nil, nil, earlyReader{}
	}
}

// failed hands a failed handshake to the fronting host, or refuses it
// (an unknown server name under UnknownSNI drop or reject), and reports
// what became of it.
func (p *Proxy) failed(ctx context.Context, conn net.Conn, h *handshake, evicted *atomic.Bool, closed *CloseEvent, log *zap.Logger) {
	_ = conn.SetDeadline(time.Time{})
	if evicted.Load() || !h.frontable() {
		return
	}
	ev, refused := p.refuse(conn, h)
	switch {
	case refused:
	case p.draining.Err() != nil:
		// Shutting down: the socket is closed, not spliced (no dial of
		// the fronting host for a client that is already gone).
		ev = FrontingEvent{Reason: h.result, Result: FrontingDrained, BytesIn: int64(len(h.consumed))}
	default:
		ev = p.front(ctx, conn, h, evicted)
	}
	closed.BytesIn, closed.BytesOut = ev.BytesIn, ev.BytesOut
	p.obs.Fronting(ev)
	log.Debug("fronting finished", zap.Stringer("result", ev.Result),
		zap.Int64("bytes_in", ev.BytesIn), zap.Int64("bytes_out", ev.BytesOut))
}

// keepAliveCount is the number of unanswered probes after which a client
// is dropped.
const keepAliveCount = 4

// setKeepAlive sets the keepalive of a client accepted from a listener
// whose socket does not carry it (see listenerKeepAlive).
func (p *Proxy) setKeepAlive(conn net.Conn) {
	tc, ok := netx.TCPConn(conn)
	if !ok {
		return
	}
	if p.o.KeepAlive < 0 {
		_ = tc.SetKeepAlive(false)
		return
	}
	_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: p.o.KeepAlive, Interval: p.o.KeepAlive, Count: keepAliveCount})
}
