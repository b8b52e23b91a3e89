package client

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
)

// Dial connects to a proxy at addr and performs the handshake of o.Mode.
// ctx bounds the dial and the handshake. For FakeTLS it fails with
// ErrServerFlight when the answer is not a flight authenticated with the
// secret; the other modes get no answer to check, so a wrong secret shows
// only later, as silence or a closed connection.
func Dial(ctx context.Context, addr string, o Options) (*Conn, error) {
	h, err := NewHandshake(o)
	if err != nil {
		return nil, err
	}
	return DialHandshake(ctx, addr, h, o)
}

// DialHandshake is Dial with a handshake built beforehand by NewHandshake,
// whose bytes a test may also replay elsewhere. o must be the options h was
// built from.
func DialHandshake(ctx context.Context, addr string, h *Handshake, o Options) (*Conn, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	if o.LocalAddr.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(o.LocalAddr, 0))
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c, err := handshake(ctx, nc, h, o)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Over performs the handshake of o.Mode on nc, a connection already
// established (a carried stream, a pipe), and returns the Conn over it.
// Closing the Conn closes nc.
func Over(ctx context.Context, nc net.Conn, o Options) (*Conn, error) {
	h, err := NewHandshake(o)
	if err != nil {
		return nil, err
	}
	if o, err = o.withDefaults(); err != nil {
		return nil, err
	}
	return handshake(ctx, nc, h, o)
}

// handshake runs h over nc within ctx and builds the Conn.
func handshake(ctx context.Context, nc net.Conn, h *Handshake, o Options) (*Conn, error) {
	stop := bindContext(ctx, nc)
	defer stop()
	c := &Conn{nc: nc, hs: h, rnd: o.Rand}
	var wire net.Conn = nc
	if o.Record {
		c.rec = &recorder{Conn: nc}
		wire = c.rec
	}
	if h.Mode == FakeTLS {
		if _, err := wire.Write(h.Hello); err != nil {
			return nil, fmt.Errorf("client: sending hello: %w", ctxErr(ctx, err))
		}
		flight, err := faketls.ReadServerFlight(nc)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrServerFlight, ctxErr(ctx, err))
		}
		h.Flight = flight
		if err := faketls.VerifyServerFlight(h.secret, h.ClientRandom, flight); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrServerFlight, err)
		}
	}
	if o.Coalesce {
		c.hold = &holdConn{Conn: wire, on: true}
		wire = c.hold
	}
	under := wire
	if h.Mode == FakeTLS {
		under = faketls.NewConn(wire)
	}
	if _, err := wire.Write(h.HeaderRecord()); err != nil {
		return nil, fmt.Errorf("client: sending header: %w", ctxErr(ctx, err))
	}
	c.r = cipher.StreamReader{S: h.dec, R: under}
	c.w = &encWriter{s: h.enc, w: under}
	c.rd = framing.NewResponseReader(c.r, h.Transport, o.MaxPacket)
	c.wr = framing.NewWriter(c.w, h.Transport, o.Rand)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// bindContext applies ctx's deadline to nc and interrupts nc's I/O when ctx
// is cancelled, until the returned stop is called (which clears both).
func bindContext(ctx context.Context, nc net.Conn) (stop func()) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	cancel := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	return func() {
		cancel()
		_ = nc.SetDeadline(time.Time{})
	}
}

// ctxErr prefers the context's error to the I/O error it caused. The
// connection's deadline (the context's, see bindContext) can fire a moment
// before the context's own timer: a timeout at or past the context's
// deadline is the context's.
func ctxErr(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); cerr == nil && ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// readAll reads from nc until EOF, an error, limit bytes or idle without
// data; it returns what arrived and whether the peer closed.
func readAll(nc net.Conn, idle time.Duration, limit int) ([]byte, bool, error) {
	var out []byte
	buf := make([]byte, 32<<10)
	for len(out) < limit {
		_ = nc.SetReadDeadline(time.Now().Add(idle))
		n, err := nc.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, true, nil
		}
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			return out, false, nil
		}
		if err != nil {
			return out, true, err
		}
	}
	return out, false, nil
}
