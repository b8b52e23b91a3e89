package proxy

import (
	"context"
	"crypto/cipher"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/internal/rawio"
	"github.com/mtproxy/mtproxy/proxy/recovery"
)

// ErrIdle is returned by [ClientConn.RelayTo] when its idle watchdog ended
// the relay: neither side carried a byte for a whole idle period.
var ErrIdle = errors.New("proxy: idle timeout")

// errPanicked ends a relay whose goroutine recovered from a panic.
var errPanicked = errors.New("proxy: recovered from a panic")

// RelayTo is the zero-copy path of an upstream whose peer speaks a stream
// cipher (a DC's obfuscated2, or any stream): it moves bytes between the
// client and up until both directions end, ctx is done, or neither side
// carries a byte for idle (0 or negative: no idle limit).
//
// Bytes from the client are decrypted with the client's keys and
// encrypted with enc before they are written to up; bytes read from up are
// decrypted with dec and written to the client, encrypted and, for FakeTLS
// clients, framed in records. A nil enc or dec passes that direction's
// plaintext unchanged.
//
// Each direction reads into a buffer of the engine's pool, taken only
// while bytes are there to move, transforms it in place and writes it with
// a blocking write, so a slow side throttles the other, at most one buffer
// per direction is held and nothing is allocated per read. A clean end of
// stream from one side half-closes the other (CloseWrite) so the opposite
// direction can drain; an error closes both up and the client.
//
// It returns nil when both directions ended cleanly (or were closed by
// ctx), [ErrIdle] when the idle watchdog closed them, else the first
// error. RelayTo does not close up on a clean end: the caller owns it. It
// must not be called while another goroutine reads from or writes to the
// client.
func (c *ClientConn) RelayTo(ctx context.Context, up net.Conn, enc, dec cipher.Stream, idle time.Duration) error {
	return c.newRelay(up, enc, dec, idle).run(ctx)
}

// RelayToWatching is RelayTo that also tells the caller what the upstream
// did, for passive health: answered, when not nil, is called once, from
// the relay, when the upstream's first byte arrives; closedFirst reports
// an upstream that never answered and ended its stream (closed or reset)
// while the client's side was still open. An upstream that never answered
// and did not close first stayed silent until the client left.
func (c *ClientConn) RelayToWatching(ctx context.Context, up net.Conn, enc, dec cipher.Stream, idle time.Duration,
	answered func()) (closedFirst bool, err error) {
	r := c.newRelay(up, enc, dec, idle)
	r.onAnswer = answered
	err = r.run(ctx)
	closedFirst = !r.answered && !r.dcLast && (errors.Is(r.dcErr, io.EOF) || errors.Is(r.dcErr, syscall.ECONNRESET))
	return closedFirst, err
}

func (c *ClientConn) newRelay(up net.Conn, enc, dec cipher.Stream, idle time.Duration) *relay {
	r := &relay{client: c, dc: up, dcEnc: enc, dcDec: dec, pool: c.bufs, idle: idle}
	r.dcRC, _ = rawio.RawConn(up)
	c.rawConn() // known before the two directions start
	return r
}

// relay moves bytes between an authenticated client and an upstream
// connection until both directions end; see [ClientConn.RelayTo]. dcEnc
// encrypts towards the upstream, dcDec decrypts from it.
type relay struct {
	client *ClientConn
	dc     net.Conn
	dcEnc  cipher.Stream
	dcDec  cipher.Stream
	pool   *bufferPool
	idle   time.Duration
	// onAnswer is called once, when the upstream's first byte arrives.
	// answered, dcErr (the error that ended the upstream's reads) and
	// dcLast (they ended after the client's side had) belong to the
	// upstream-to-client direction and are read once run returns; upDone
	// is set when the client's side ends.
	onAnswer func()
	answered bool
	dcErr    error
	dcLast   bool
	upDone   atomic.Bool
	// dcRC is the upstream's RawConn, nil when it has none.
	dcRC syscall.RawConn

	// dcActivity counts reads and writes on the upstream side; with the
	// client's Activity it feeds the idle watchdog.
	dcActivity atomic.Uint64
	closeOnce  sync.Once
}

func (r *relay) run(ctx context.Context) error {
	if !r.client.ClosesWith(ctx) {
		// Else the engine closes the client when ctx is done, and the
		// failed read of the client aborts the relay.
		stop := context.AfterFunc(ctx, r.abort)
		defer stop()
	}
	watchdog := r.client.watchdogs().Start(r.idle, r)
	defer watchdog.Stop()

	errc := make(chan error, 1)
	go func() {
		// A panic here closes this relay's two sockets only.
		defer recovery.Guard(recovery.Conn, r.client.log, r.client.panics, func() { r.abort(); errc <- errPanicked })
		errc <- r.clientToDC()
	}()
	errDown := r.dcToClient()
	errUp := <-errc
	if watchdog.Fired() {
		return ErrIdle
	}
	if errUp != nil {
		return errUp
	}
	return errDown
}

// abort closes both sockets, unblocking both directions.
func (r *relay) abort() {
	r.closeOnce.Do(func() {
		_ = r.dc.Close()
		_ = r.client.Close()
	})
}

// Activity moves whenever either socket carries bytes (timex.Watched).
func (r *relay) Activity() uint64 { return r.client.Activity() + r.dcActivity.Load() }

// Idle is the idle watchdog's end of the relay (timex.Watched).
func (r *relay) Idle() { r.abort() }

func (r *relay) clientToDC() (err error) {
	p := newPump(r.client.conn, r.client.rc, r.pool, 0) // rc looked up by newRelay
	p.early = r.client.takeEarly()
	for {
		if err := r.client.paceIn(); err != nil {
			return r.finish(err, r.dc)
		}
		b, rerr := p.read()
		if len(b) > 0 {
			var terr error
			if b, terr = r.client.inbound(b); terr != nil {
				p.release()
				r.abort()
				return terr
			}
			if r.dcEnc != nil {
				r.dcEnc.XORKeyStream(b, b)
			}
			werr := r.writeDC(b)
			r.dcActivity.Add(1)
			if werr != nil {
				p.release()
				r.abort()
				return werr
			}
		}
		p.release()
		if rerr != nil {
			if rerr == io.EOF {
				r.client.readEnded()
			}
			r.upDone.Store(true)
			return r.finish(rerr, r.dc)
		}
	}
}

func (r *relay) dcToClient() error {
	limit := 0 // any buffer, bulk ones too
	if r.client.tls {
		limit = r.client.chunk // one record's payload at most per write
	}
	p := newPump(r.dc, r.dcRC, r.pool, limit)
	for {
		if err := r.client.paceOut(); err != nil {
			return r.finish(err, r.client.conn)
		}
		b, rerr := p.read()
		if len(b) > 0 {
			if !r.answered {
				r.answered = true
				if r.onAnswer != nil {
					r.onAnswer()
				}
			}
			r.dcActivity.Add(1)
			if r.dcDec != nil {
				r.dcDec.XORKeyStream(b, b)
			}
			if werr := r.client.writeOwned(p.headroomBuf(), len(b)); werr != nil {
				p.release()
				r.abort()
				return werr
			}
		}
		p.release()
		if rerr != nil {
			r.dcErr, r.dcLast = rerr, r.upDone.Load()
			return r.finish(rerr, r.client.conn)
		}
	}
}

// writeDC writes all of b to the upstream: with raw system calls when it
// is a socket.
func (r *relay) writeDC(b []byte) error {
	var err error
	if r.dcRC != nil {
		_, err = r.pool.ops.Write(r.dcRC, b)
	} else {
		_, err = r.dc.Write(b)
	}
	return err
}

// finish ends one direction: on a clean end of stream the destination is
// half-closed so the other direction can drain; on an error both sockets
// are closed.
func (r *relay) finish(err error, dst net.Conn) error {
	if errors.Is(err, io.EOF) {
		if netx.CloseWrite(dst) == nil {
			return nil
		}
		r.abort()
		return nil
	}
	r.abort()
	if errors.Is(err, net.ErrClosed) {
		return nil // closed by the other direction, the watchdog, ctx or shutdown
	}
	return err
}
