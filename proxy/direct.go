package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
	"github.com/mtproxy/mtproxy/tracing/spanattr"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// DirectOptions configure a Direct upstream. Zero values are defaults.
type DirectOptions struct {
	// Table is where DCs are. Default: dc.Builtin().
	Table *dc.Table
	// Prefer orders address families. Default dc.PreferIPv4.
	Prefer dc.Preference
	// Dialer dials DC addresses. Default: 10s per attempt, 15s keepalive.
	Dialer *dc.Dialer
	// IdleTimeout closes relays idle this long either way. Default 5m.
	IdleTimeout time.Duration
	// Observer receives dial events. Default: NopObserver.
	Observer Observer
	// TracerProvider creates the dial spans. Default: no-op.
	TracerProvider trace.TracerProvider
	// Rand feeds the DC-side headers. Default crypto/rand.
	Rand io.Reader
}

// Direct is the direct-mode upstream: each client gets its own connection
// to the DC it asked for, with a fresh obfuscated2 header and no secret, and
// the client's MTProto bytes pass through re-encrypted.
type Direct struct {
	table  *dc.Table
	prefer dc.Preference
	dialer *dc.Dialer
	idle   time.Duration
	obs    Observer
	tracer trace.Tracer
	rand   io.Reader
}

// NewDirect returns a direct upstream.
func NewDirect(o DirectOptions) *Direct {
	d := &Direct{
		table: o.Table, prefer: o.Prefer, dialer: o.Dialer, idle: o.IdleTimeout,
		obs: o.Observer, rand: o.Rand,
	}
	if d.table == nil {
		d.table = dc.Builtin()
	}
	if d.dialer == nil {
		d.dialer = &dc.Dialer{}
	}
	if d.idle == 0 {
		d.idle = 5 * time.Minute
	}
	if d.obs == nil {
		d.obs = NopObserver{}
	}
	tp := o.TracerProvider
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	d.tracer = tp.Tracer(tracerName)
	if d.rand == nil {
		d.rand = cryptoRand()
	}
	return d
}

// Table returns the DC table the upstream dials from.
func (d *Direct) Table() *dc.Table { return d.table }

// Serve dials the client's DC and relays until either side ends.
func (d *Direct) Serve(ctx context.Context, s *Session) error {
	conn, target, err := d.dial(ctx, s)
	if err != nil {
		return err
	}
	defer conn.Close()
	hdr, enc, dec, err := obfuscated2.Generate(d.rand, nil, s.Transport, int16(target))
	if err != nil {
		return fmt.Errorf("proxy: DC header: %w", err)
	}
	if _, err := conn.Write(hdr[:]); err != nil {
		return fmt.Errorf("proxy: write DC header: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close(); _ = s.Client.Close() })
	defer stop()
	r := relay{client: s.Client, dc: conn, dcEnc: enc, dcDec: dec, pool: s.Client.bufs, idle: d.idle}
	return r.run()
}

func (d *Direct) dial(ctx context.Context, s *Session) (net.Conn, int, error) {
	target, addrs := d.table.Lookup(s.DC, d.prefer)
	ctx, span := d.tracer.Start(ctx, "mtproxy.upstream.dial", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.Int("telegram.dc", target), attribute.String("network.transport", "tcp")))
	defer span.End()
	conn, addr, err := d.dialer.Dial(ctx, addrs, func(a dc.Attempt) {
		d.obs.UpstreamDial(ctx, DialEvent{DC: target, Addr: a.Addr.String(), Result: a.Result, Duration: a.Duration})
		if a.Err != nil {
			s.Logger.Debug("DC dial failed", zap.Int("dc", target), zap.Stringer("addr", a.Addr),
				zap.Stringer("result", a.Result), zap.Error(a.Err))
		}
	})
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, dc.Classify(err).String())
		return nil, 0, fmt.Errorf("proxy: dial DC %d: %w", target, err)
	}
	span.SetAttributes(spanattr.UpstreamDial(addr.String())...)
	return conn, target, nil
}
