package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
)

// front hands a client that failed authentication to the real site behind
// TLSDomain (or FrontingAddr): the bytes it already sent are replayed, then
// both directions are spliced, each bounded in bytes and idle time, so a
// prober sees the real site. Without a fronting host the client is read
// and ignored until it leaves or DrainTimeout passes.
func (p *Proxy) front(ctx context.Context, conn net.Conn, h *handshake) FrontingEvent {
	start := p.o.Now()
	ev := FrontingEvent{Reason: h.result, BytesIn: int64(len(h.consumed))}
	defer func() { ev.Duration = p.o.Now().Sub(start) }()
	if p.o.FrontingAddr == "" {
		ev.Result = FrontingDrained
		n, limited := p.drain(conn, p.o.FrontingMaxBytes-int64(len(h.consumed)))
		ev.BytesIn += n
		if limited {
			ev.Result = FrontingLimit
		}
		return ev
	}
	dctx, cancel := context.WithTimeout(ctx, p.o.FrontingTimeout)
	up, err := (&net.Dialer{}).DialContext(dctx, "tcp", p.o.FrontingAddr)
	cancel()
	if err != nil {
		ev.Result = FrontingDialFailed
		return ev
	}
	defer up.Close()
	stop := context.AfterFunc(ctx, func() { _ = up.Close() })
	defer stop()
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
		in, inLimited = p.spliceOne(up, conn, p.o.FrontingMaxBytes-int64(len(h.consumed)))
	}()
	out, outLimited := p.spliceOne(conn, up, p.o.FrontingMaxBytes)
	wg.Wait()
	ev.BytesIn += in
	ev.BytesOut = out
	ev.Result = FrontingDone
	if inLimited || outLimited {
		ev.Result = FrontingLimit
	}
	return ev
}

// spliceOne copies src to dst until EOF, an error, max bytes or an idle
// read of FrontingTimeout. On EOF it half-closes dst; otherwise it closes
// both so the other direction ends too. limited reports a bound was hit.
func (p *Proxy) spliceOne(dst, src net.Conn, max int64) (n int64, limited bool) {
	buf := p.bufs.get()
	defer p.bufs.put(buf)
	b := (*buf)[headroom:]
	for {
		if n >= max {
			limited = true
			break
		}
		_ = src.SetReadDeadline(time.Now().Add(p.o.FrontingTimeout))
		m, err := src.Read(b[:min(int64(len(b)), max-n)])
		if m > 0 {
			_ = dst.SetWriteDeadline(time.Now().Add(p.o.FrontingTimeout))
			if _, werr := dst.Write(b[:m]); werr != nil {
				break
			}
			n += int64(m)
		}
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

// drain reads and discards the client's bytes until it closes, DrainTimeout
// passes or max more bytes are read (FrontingMaxBytes with the handshake's,
// as a splice counts them), never answering: what the official proxy does
// with clients it does not know.
func (p *Proxy) drain(conn net.Conn, max int64) (n int64, limited bool) {
	buf := p.bufs.get()
	defer p.bufs.put(buf)
	b := (*buf)[headroom:]
	_ = conn.SetReadDeadline(time.Now().Add(p.o.DrainTimeout))
	for n < max {
		m, err := conn.Read(b[:min(int64(len(b)), max-n)])
		n += int64(m)
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
