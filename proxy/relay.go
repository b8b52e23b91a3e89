package proxy

import (
	"crypto/cipher"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// errIdle is returned by a relay closed by its idle watchdog.
var errIdle = errors.New("proxy: idle timeout")

// relay moves bytes between an authenticated client and a DC until both
// directions end. dcEnc encrypts towards the DC, dcDec decrypts from it.
// Each direction reads into a pooled buffer, transforms it in place and
// writes it with a blocking write, so a slow side throttles the other and
// at most one buffer per direction is held. It returns the first error
// that is not a plain end of stream.
type relay struct {
	client *ClientConn
	dc     net.Conn
	dcEnc  cipher.Stream
	dcDec  cipher.Stream
	pool   *bufferPool
	idle   time.Duration

	dcActivity atomic.Uint64
	idled      atomic.Bool
	closeOnce  sync.Once
}

func (r *relay) run() error {
	watchdog := r.startWatchdog()
	defer watchdog.Stop()

	errc := make(chan error, 1)
	go func() { errc <- r.clientToDC() }()
	errDown := r.dcToClient()
	errUp := <-errc
	if r.idled.Load() {
		return errIdle
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

// startWatchdog arms a timer that closes the relay when neither socket
// carried a byte for a whole idle period. It replaces per-read deadlines:
// nothing is done per read but an atomic increment.
func (r *relay) startWatchdog() *time.Timer {
	if r.idle <= 0 {
		return time.NewTimer(time.Duration(1<<63 - 1))
	}
	var last uint64
	var t *time.Timer
	t = time.AfterFunc(time.Duration(1<<63-1), func() {
		now := r.client.Activity() + r.dcActivity.Load()
		if now != last {
			last = now
			t.Reset(r.idle)
			return
		}
		r.idled.Store(true)
		r.abort()
	})
	t.Reset(r.idle) // armed only once t is set, for the callback's sake
	return t
}

func (r *relay) clientToDC() (err error) {
	p := newPump(r.client.conn, r.pool, 0)
	for {
		b, rerr := p.read()
		if len(b) > 0 {
			var terr error
			if b, terr = r.client.inbound(b); terr != nil {
				p.release()
				r.abort()
				return terr
			}
			r.dcEnc.XORKeyStream(b, b)
			_, werr := r.dc.Write(b)
			r.dcActivity.Add(1)
			if werr != nil {
				p.release()
				r.abort()
				return werr
			}
		}
		p.release()
		if rerr != nil {
			return r.finish(rerr, r.dc)
		}
	}
}

func (r *relay) dcToClient() error {
	p := newPump(r.dc, r.pool, r.client.chunk)
	for {
		b, rerr := p.read()
		if len(b) > 0 {
			r.dcActivity.Add(1)
			r.dcDec.XORKeyStream(b, b)
			if werr := r.client.writeOwned(p.headroomBuf(), len(b)); werr != nil {
				p.release()
				r.abort()
				return werr
			}
		}
		p.release()
		if rerr != nil {
			return r.finish(rerr, r.client.conn)
		}
	}
}

// finish ends one direction: on a clean end of stream the destination is
// half-closed so the other direction can drain; on an error both sockets
// are closed.
func (r *relay) finish(err error, dst net.Conn) error {
	if errors.Is(err, io.EOF) {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return nil
		}
		r.abort()
		return nil
	}
	r.abort()
	if errors.Is(err, net.ErrClosed) {
		return nil // closed by the other direction, the watchdog or shutdown
	}
	return err
}
