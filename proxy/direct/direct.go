package direct

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
	"github.com/mtproxy/mtproxy/tracing/spanattr"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

const tracerName = "github.com/mtproxy/mtproxy/proxy/direct"

// Direct is the direct-mode upstream: it implements proxy.Upstream.
type Direct struct {
	table  *dc.Table
	prefer dc.Preference
	dialer *dc.Dialer
	idle   time.Duration
	obs    Observer
	tracer trace.Tracer
	rand   io.Reader
}

var _ proxy.Upstream = (*Direct)(nil)

// New returns a direct upstream with o's defaults filled in.
func New(o Options) *Direct {
	defaults.Set(&o.Table, dc.Builtin())
	defaults.Set(&o.Dialer, &dc.Dialer{})
	defaults.Set(&o.IdleTimeout, proxy.DefaultIdleTimeout)
	defaults.Set[Observer](&o.Observer, NopObserver{})
	defaults.Set[trace.TracerProvider](&o.TracerProvider, noop.NewTracerProvider())
	defaults.Set(&o.Rand, rand.Reader)
	return &Direct{
		table: o.Table, prefer: o.Prefer, dialer: o.Dialer, idle: o.IdleTimeout,
		obs: o.Observer, tracer: o.TracerProvider.Tracer(tracerName), rand: o.Rand,
	}
}

// Table returns the DC table the upstream dials from.
func (d *Direct) Table() *dc.Table { return d.table }

// Serve dials the client's DC and relays until either side ends or ctx is
// done. It returns proxy.ErrIdle when the relay was idle for IdleTimeout.
//
// The connected dial is reported when the DC answers (dc.OK, with the time
// to its first byte) or, when it never does, as the relay ends: dc.Reset
// when the DC closed first, dc.NoAnswer when it stayed silent until the
// client left. A dial is healthy only once the DC has answered.
func (d *Direct) Serve(ctx context.Context, s *proxy.Session) error {
	u, err := d.open(ctx, s)
	if err != nil {
		return err
	}
	closedFirst := true
	defer u.close(&closedFirst)
	closedFirst, err = s.Client.RelayToWatching(ctx, u.conn, u.enc, u.dec, d.idle, u.onAnswer)
	return err
}

// upstream is a client's connection to its DC and what its dial report
// needs. Serve stays parked in the relay for the client's whole life, so
// the dial and the header live in open, off its stack frame: a parked
// session's goroutine then fits a 4 KiB stack.
type upstream struct {
	d         *Direct
	ctx       context.Context
	conn      net.Conn
	enc, dec  cipher.Stream
	ev        DialEvent
	connected time.Time
	answered  bool
}

// open dials the client's DC and sends it the header.
//
//go:noinline
func (d *Direct) open(ctx context.Context, s *proxy.Session) (*upstream, error) {
	conn, target, ev, err := d.dial(ctx, s)
	if err != nil {
		return nil, err
	}
	s.UpstreamConnected()
	u := &upstream{d: d, ctx: ctx, conn: conn, ev: ev, connected: time.Now()}
	hdr, enc, dec, err := obfuscated2.Generate(d.rand, nil, s.Transport, int16(target))
	if err != nil {
		closedFirst := false
		u.close(&closedFirst)
		return nil, fmt.Errorf("direct: DC header: %w", err)
	}
	if _, err := conn.Write(hdr[:]); err != nil {
		closedFirst := true // a header that cannot be written: the DC is gone
		u.close(&closedFirst)
		return nil, fmt.Errorf("direct: write DC header: %w", err)
	}
	u.enc, u.dec = enc, dec
	return u, nil
}

// onAnswer reports the dial healthy when the DC first answers.
func (u *upstream) onAnswer() {
	u.answered = true
	u.ev.Result, u.ev.FirstAnswer = dc.OK, time.Since(u.connected)
	u.d.obs.UpstreamDial(u.ctx, u.ev)
}

// close closes the DC connection and, if the DC never answered, reports
// the dial: dc.Reset when it closed first, else dc.NoAnswer.
func (u *upstream) close(closedFirst *bool) {
	if !u.answered {
		u.ev.Result = dc.NoAnswer
		if *closedFirst {
			u.ev.Result = dc.Reset
		}
		u.d.obs.UpstreamDial(u.ctx, u.ev)
	}
	_ = u.conn.Close()
}

// dial connects to the client's DC. Failed attempts are reported at
// once; the event of the connected one is returned for Serve to report.
func (d *Direct) dial(ctx context.Context, s *proxy.Session) (net.Conn, int, DialEvent, error) {
	target, addrs := d.table.Lookup(s.DC, d.prefer)
	ctx, span := d.tracer.Start(ctx, "mtproxy.upstream.dial", trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	var ok DialEvent
	// Attributes only for a span that records: tracing is off by default,
	// and they cost every connection allocations otherwise.
	recording := span.IsRecording()
	if recording {
		span.SetAttributes(attribute.Int("telegram.dc", target), attribute.String("network.transport", "tcp"))
	}
	conn, addr, err := d.dialer.Dial(ctx, addrs, func(a dc.Attempt) {
		ev := DialEvent{DC: target, Addr: a.Addr.String(), Result: a.Result, Duration: a.Duration}
		if a.Err == nil {
			ok = ev
			return
		}
		d.obs.UpstreamDial(ctx, ev)
		s.Logger.Debug("DC dial failed", zap.Int("dc", target), zap.Stringer("addr", a.Addr),
			zap.Stringer("result", a.Result), zap.Error(a.Err))
	})
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, dc.Classify(err).String())
		return nil, 0, ok, fmt.Errorf("direct: dial DC %d: %w", target, err)
	}
	if recording {
		span.SetAttributes(spanattr.UpstreamDial(addr.String())...)
	}
	return conn, target, ok, nil
}
