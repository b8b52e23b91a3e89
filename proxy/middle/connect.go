package middle

import (
	"context"
	"time"

	"github.com/mtproxy/mtproxy/tracing/spanattr"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// connect makes one attempt to establish an RPC connection to t, traced
// as "mtproxy.middle.handshake", reported to the Observer and logged: a
// failure at Warn when it changes the target's state, at Debug when it
// repeats, with a hint when it looks like a NAT or clock problem.
func (p *pool) connect(ctx context.Context, t *target) (*established, HandshakeResult) {
	m := p.m
	dcID := t.primaryDC()
	start := time.Now()
	ctx, span := m.tracer.Start(ctx, "mtproxy.middle.handshake", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(spanattr.UpstreamDial(t.addr.String())...),
		trace.WithAttributes(attribute.Int("telegram.dc", dcID)))
	defer span.End()

	est, dial, herr := m.dialTarget(ctx, t.addr)
	ev := HandshakeEvent{DC: dcID, Target: t.addr, Result: HandshakeOK, Dial: dial, Duration: time.Since(start)}
	if herr != nil {
		ev.Result, ev.Err = herr.Result, herr.Err
	} else {
		ev.Checksum = est.checksum
		span.SetAttributes(attribute.String("mtproxy.middle.checksum", est.checksum.String()),
			attribute.String("mtproxy.middle.public_address", est.public.String()))
	}
	span.SetAttributes(attribute.String("mtproxy.middle.handshake.result", ev.Result.String()))
	if herr != nil {
		span.RecordError(herr.Err)
		span.SetStatus(codes.Error, ev.Result.String())
	}
	m.obs.Handshake(ctx, ev)
	p.logAttempt(t, ev, est)
	return est, ev.Result
}

func (p *pool) logAttempt(t *target, ev HandshakeEvent, est *established) {
	t.mu.Lock()
	repeated := ev.Result == t.lastResult && t.failures > 0
	t.mu.Unlock()
	if ev.Result == HandshakeOK {
		if ce := t.log.Check(zap.DebugLevel, "RPC connection ready"); ce != nil {
			ce.Write(zap.Int("dc", ev.DC), zap.Stringer("checksum", est.checksum),
				zap.Stringer("public_address", est.public), zap.Duration("took", ev.Duration))
		}
		return
	}
	if ev.Result == HandshakeLocalError && p.ctx.Err() != nil {
		return // shutting down
	}
	lvl := zap.WarnLevel
	if repeated {
		lvl = zap.DebugLevel
	}
	ce := t.log.Check(lvl, "RPC connection to middle proxy failed")
	if ce == nil {
		return
	}
	fields := []zap.Field{zap.Int("dc", ev.DC), zap.Stringer("result", ev.Result), zap.Error(ev.Err)}
	switch {
	case ev.Result.KeyMismatch():
		fields = append(fields, zap.String("hint",
			"the middle proxy could not use our keys: the address it sees must be the one we derive them with; "+
				"behind NAT set IP (or --nat-info LOCAL:PUBLIC) to this host's public address, and check the proxy secret is current"))
	case ev.Result == HandshakeClockSkew || ev.Result == HandshakeClosedBeforeNonce:
		fields = append(fields, zap.String("hint",
			"middle proxies refuse peers whose clock is more than 30 s off, and unknown proxy secrets: check the clock (NTP) and the proxy secret"))
	}
	ce.Write(fields...)
}
