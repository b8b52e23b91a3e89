package proxy

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
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
// it and admit took its MaxConnections slot already.
func (p *Proxy) serveConn(conn net.Conn, authed bool) {
	defer p.conns.Done()
	defer p.active.Add(-1)
	if authed {
		defer p.authed.Add(-1)
	}
	start := p.o.Now()
	id := p.nextID.Add(1)
	closed := CloseEvent{Secret: -1}
	prog := newProgress(p.obs)
	defer func() {
		_ = conn.Close()
		closed.Duration = p.o.Now().Sub(start)
		closed.Stage = prog.at()
		p.obs.ClientClosed(closed)
	}()
	// A panic in this connection's goroutine (the handshake, fronting, the
	// upstream's Serve) closes this connection only; it is logged with its
	// stack and counted, and the events above are still reported.
	defer recovery.Guard(recovery.Conn, p.log.With(zap.Uint64("conn_id", id)), p.panics, func() { _ = conn.Close() })
	stop := context.AfterFunc(p.ctx, func() { _ = conn.Close() })
	defer stop()
	// Until authenticated, a shutdown closes the connection at once.
	stopUnauth := context.AfterFunc(p.draining, func() { _ = conn.Close() })
	defer stopUnauth()
	p.setKeepAlive(conn)

	// The client's address is deliberately not a span attribute: traces
	// leave the host, and client IPs are only ever logged at debug level.
	ctx, span := p.tracer.Start(p.ctx, "mtproxy.handshake", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(spanattr.Local(conn.LocalAddr())...),
		trace.WithAttributes(attribute.String("network.transport", "tcp"), attribute.Int64("mtproxy.conn_id", int64(id))))
	log := p.log.With(connFields(id, span.SpanContext())...)
	if ce := log.Check(zap.DebugLevel, "client connected"); ce != nil {
		ce.Write(zap.Stringer("client", conn.RemoteAddr()))
	}

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
	if h.helloBuf != nil {
		defer p.hello.Put(h.helloBuf)
	}
	p.obs.Handshake(ctx, HandshakeEvent{
		Protocol: h.proto, Result: h.result, JA4: h.ja4, Secret: h.secret, DC: h.dc,
		Duration: p.o.Now().Sub(start),
	})
	closed.Protocol = h.proto
	span.SetAttributes(attribute.String("mtproxy.transport", h.proto.String()),
		attribute.String("mtproxy.handshake.result", h.result.String()))
	if h.result != HandshakeOK {
		span.SetStatus(codes.Error, h.result.String())
		span.End()
		log.Info("handshake failed", zap.Stringer("reason", h.result), zap.Stringer("transport", h.proto),
			zap.NamedError("cause", h.err))
		p.failed(ctx, conn, h, &evicted, &closed, log)
		return
	}
	label := h.user
	if h.lease == nil {
		label = p.o.Secrets[h.secret].Label(h.secret)
	}
	span.SetAttributes(attribute.Int("telegram.dc", h.dc), attribute.String("mtproxy.secret", label))
	span.End()
	_ = conn.SetDeadline(time.Time{})
	closed.Secret, closed.DC, closed.Authenticated = h.secret, h.dc, true
	if !stopUnauth() {
		return // the drain began during the handshake and closed it
	}
	prog.proto, prog.secret = h.proto, h.secret
	prog.reach(StageAuthenticated)
	if h.lease != nil {
		defer h.lease.Release()
	}
	if !authed {
		p.unauth.Release(entry)
		if evicted.Load() {
			return // closed while it authenticated
		}
		if p.authed.Add(1) > int64(p.o.MaxConnections) {
			p.authed.Add(-1)
			p.obs.ClientRejected(RejectLimit)
			log.Debug("client over MaxConnections, closed")
			return
		}
		defer p.authed.Add(-1)
	}

	client := &ClientConn{
		conn: conn, tls: h.tls, unwrap: h.unwrap, dec: h.acc.Decrypt, enc: h.acc.Encrypt,
		traffic: p.obs.Traffic(h.secret, h.dc), bufs: p.bufs, chunk: p.chunk, prog: prog,
		lease: h.lease, closed: make(chan struct{}),
		rec: newRecordSizing(p.o.TLSRecordInitial, p.o.TLSRecordRamp),
		log: log, panics: p.panics,
	}
	sess := &Session{
		Transport: h.acc.Transport, DC: h.dc, Client: client,
		Remote: netx.AddrPort(conn.RemoteAddr()), Local: netx.AddrPort(conn.LocalAddr()),
	}
	if h.lease != nil {
		sess.AdTag = h.lease.AdTag()
		// A revoked user's connection is closed once its grace is over.
		h.lease.OnRevoke(func() { _ = client.Close() })
	}
	log = log.With(zap.String("secret", label), zap.Int("dc", h.dc), zap.Stringer("transport", h.proto))
	sess.Logger = log
	log.Debug("client authenticated")
	err := p.upstream.Serve(ctx, sess)
	closed.BytesIn, closed.BytesOut = client.Bytes()
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

func (p *Proxy) setKeepAlive(conn net.Conn) {
	tc, ok := netx.TCPConn(conn)
	if !ok {
		return
	}
	if p.o.KeepAlive < 0 {
		_ = tc.SetKeepAlive(false)
		return
	}
	_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: p.o.KeepAlive, Interval: p.o.KeepAlive, Count: 4})
}

func connFields(id uint64, sc trace.SpanContext) []zap.Field {
	f := []zap.Field{zap.Uint64("conn_id", id)}
	if sc.IsValid() {
		f = append(f, zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String()))
	}
	return f
}
