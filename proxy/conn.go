package proxy

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/tracing/spanattr"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// serveConn is one connection's scope: its id, context, span and logger,
// from accept to close.
func (p *Proxy) serveConn(conn net.Conn) {
	defer p.conns.Done()
	defer p.active.Add(-1)
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
	stop := context.AfterFunc(p.ctx, func() { _ = conn.Close() })
	defer stop()
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
		_ = conn.SetDeadline(time.Time{})
		if h.result.Frontable() && !h.answered {
			ev := p.front(ctx, conn, h)
			closed.BytesIn = ev.BytesIn
			closed.BytesOut = ev.BytesOut
			p.obs.Fronting(ev)
			log.Debug("fronting finished", zap.Stringer("result", ev.Result),
				zap.Int64("bytes_in", ev.BytesIn), zap.Int64("bytes_out", ev.BytesOut))
		}
		return
	}
	label := h.user
	if h.lease == nil {
		label = p.o.Secrets[h.secret].Label(h.secret)
	}
	span.SetAttributes(attribute.Int("telegram.dc", h.dc), attribute.String("mtproxy.secret", label))
	span.End()
	_ = conn.SetDeadline(time.Time{})

	prog.proto, prog.secret = h.proto, h.secret
	prog.reach(StageAuthenticated)
	client := &ClientConn{
		conn: conn, tls: h.tls, unwrap: h.unwrap, dec: h.acc.Decrypt, enc: h.acc.Encrypt,
		traffic: p.obs.Traffic(h.secret, h.dc), bufs: p.bufs, chunk: p.chunk, prog: prog,
		lease: h.lease, closed: make(chan struct{}),
	}
	sess := &Session{
		Transport: h.acc.Transport, DC: h.dc, Client: client,
		Remote: netx.AddrPort(conn.RemoteAddr()), Local: netx.AddrPort(conn.LocalAddr()),
	}
	if h.lease != nil {
		defer h.lease.Release()
		sess.AdTag = h.lease.AdTag()
		// A revoked user's connection is closed once its grace is over.
		h.lease.OnRevoke(func() { _ = client.Close() })
	}
	closed.Secret, closed.DC, closed.Authenticated = h.secret, h.dc, true
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
