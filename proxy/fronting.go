package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/internal/rawio"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/proxyheader"
	"github.com/mtproxy/mtproxy/proxy/recovery"
)

// refuse applies the unknown-SNI policy to a hello for another server
// name: it reports false when the hello is to be fronted like any failed
// handshake, and otherwise drops the connection or answers it with an
// unrecognized_name alert, as a server refusing the name does.
func (p *Proxy) refuse(conn net.Conn, h *handshake) (FrontingEvent, bool) {
	ev := FrontingEvent{Reason: h.result, BytesIn: int64(len(h.consumed))}
	switch {
	case h.result != HandshakeBadSNI || p.o.UnknownSNI == SNIFront:
		return ev, false
	case p.o.UnknownSNI == SNIReject:
		var alert [7]byte
		_ = conn.SetWriteDeadline(time.Now().Add(p.o.FrontingTimeout))
		n, _ := conn.Write(faketls.AppendAlert(alert[:0], faketls.AlertUnrecognizedName))
		ev.Result, ev.BytesOut = FrontingAlert, int64(n)
	default:
		ev.Result = FrontingDropped
	}
	return ev, true
}

// front hands a client that failed authentication to the real site behind
// TLSDomain (or FrontingAddr): the bytes it already sent are replayed, then
// both directions are spliced, so a prober sees the real site. The splice
// is bounded in bytes each way, in idle time and in lifetime, and holds a
// buffer only while bytes move. Without a fronting host the client is read
// and ignored until it is silent for DrainTimeout. A connection that
// carries our own fronted bytes back (a loop) is dropped. evicted tells
// whether the connection was closed to make room for a newer one.
func (p *Proxy) front(ctx context.Context, conn net.Conn, h *handshake, evicted *atomic.Bool) FrontingEvent {
	start := p.o.Now()
	ev := FrontingEvent{Reason: h.result, BytesIn: int64(len(h.consumed))}
	defer func() {
		ev.Duration = p.o.Now().Sub(start)
		if evicted.Load() {
			ev.Result = FrontingEvicted
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, p.o.FrontingLifetime)
	defer cancel()
	// The lifetime is up (or the proxy is closing): end the splice. Once
	// it has ended, the lifetime's deadline in ctx tells the bound was hit,
	// whichever socket's close ended it first.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	expired := func() bool { return errors.Is(ctx.Err(), context.DeadlineExceeded) }

	remote := netx.AddrPort(conn.RemoteAddr())
	if p.loops.loops(remote, h.consumed, p.o.OwnAddr(remote.Addr()), p.o.Now()) {
		ev.Result = FrontingLoop
		return ev
	}
	if p.dial == nil {
		ev.Result = FrontingDrained
		n, limited := p.drain(conn, h.lastByte, p.o.FrontingMaxBytes-int64(len(h.consumed)))
		ev.BytesIn += n
		if limited || expired() {
			ev.Result = FrontingLimit
		}
		return ev
	}
	dctx, dcancel := context.WithTimeout(ctx, p.o.FrontingTimeout)
	up, err := p.dial(dctx)
	dcancel()
	if err != nil {
		ev.Result = FrontingDialFailed
		return ev
	}
	local := netx.AddrPort(up.LocalAddr())
	p.loops.started(local, h.consumed, p.o.Now())
	defer p.loops.ended(local)
	defer up.Close()
	stopUp := context.AfterFunc(ctx, func() { _ = up.Close() })
	defer stopUp()
	_ = up.SetWriteDeadline(time.Now().Add(p.o.FrontingTimeout))
	if err := proxyheader.Write(up, p.o.FrontingProxyProtocol, conn.RemoteAddr(), conn.LocalAddr()); err != nil {
		ev.Result = FrontingDialFailed
		return ev
	}
	if _, err := up.Write(h.consumed); err != nil {
		ev.Result = FrontingDialFailed
		return ev
	}

	var wg sync.WaitGroup
	var inLimited bool
	var in int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer recovery.Guard(recovery.Conn, p.log, p.panics, func() { _ = conn.Close(); _ = up.Close() })
		in, inLimited = p.spliceOne(up, conn, p.o.FrontingMaxBytes-int64(len(h.consumed)))
	}()
	out, outLimited := p.spliceOne(conn, up, p.o.FrontingMaxBytes)
	wg.Wait()
	ev.BytesIn += in
	ev.BytesOut = out
	ev.Result = FrontingDone
	if inLimited || outLimited || expired() {
		ev.Result = FrontingLimit
	}
	return ev
}

// spliceOne copies src to dst until EOF, an error, max bytes or an idle
// read of FrontingTimeout, holding a pooled buffer only while bytes are
// there. On EOF it half-closes dst; otherwise it closes both so the other
// direction ends too. limited reports a bound was hit.
func (p *Proxy) spliceOne(dst, src net.Conn, max int64) (n int64, limited bool) {
	rc, _ := rawio.RawConn(src)
	pu := newPump(src, rc, p.bufs, p.bufs.size)
	for {
		if n >= max {
			limited = true
			break
		}
		_ = src.SetReadDeadline(time.Now().Add(p.o.FrontingTimeout))
		pu.max = int(min(int64(p.bufs.size), max-n))
		b, err := pu.read()
		if len(b) > 0 {
			_ = dst.SetWriteDeadline(time.Now().Add(p.o.FrontingTimeout))
			_, werr := dst.Write(b)
			pu.release()
			if werr != nil {
				break
			}
			n += int64(len(b))
		}
		pu.release()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if netx.CloseWrite(dst) == nil {
					return n, false
				}
			}
			limited = errors.Is(err, context.DeadlineExceeded) || isTimeout(err)
			break
		}
	}
	_ = src.Close()
	_ = dst.Close()
	return n, limited
}

// drain reads and discards the client's bytes until it closes, stays
// silent for DrainTimeout (counted from its last byte, lastByte before
// the first read, as a server's idle timeout) or max more bytes are read
// (FrontingMaxBytes with the handshake's, as a splice counts them), never
// answering: what the official proxy does with clients it does not know.
// It holds a buffer only while bytes are there.
func (p *Proxy) drain(conn net.Conn, lastByte time.Time, max int64) (n int64, limited bool) {
	rc, _ := rawio.RawConn(conn)
	pu := newPump(conn, rc, p.bufs, p.bufs.size)
	deadline := lastByte.Add(p.o.DrainTimeout)
	for n < max {
		_ = conn.SetReadDeadline(deadline)
		pu.max = int(min(int64(p.bufs.size), max-n))
		b, err := pu.read()
		n += int64(len(b))
		pu.release()
		if len(b) > 0 {
			deadline = time.Now().Add(p.o.DrainTimeout)
		}
		if err != nil {
			return n, isTimeout(err)
		}
	}
	return n, true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
