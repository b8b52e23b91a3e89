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
	"github.com/mtproxy/mtproxy/internal/timex"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"go.uber.org/zap"
)

// ClientConn is an authenticated client's connection. Read returns the
// client's plaintext MTProto stream (TLS records stripped, obfuscated2
// decrypted); Write encrypts and, for FakeTLS clients, frames in records.
// One goroutine may read while another writes; neither is safe for
// concurrent use by several goroutines.
type ClientConn struct {
	conn    net.Conn
	unwrap  faketls.Unwrapper
	dec     cipher.Stream
	enc     cipher.Stream
	traffic *Traffic
	bufs    *bufferPool
	// chunk is the most plaintext one write carries: the buffer size, and
	// at most one TLS record's payload for FakeTLS clients.
	chunk int
	// prog is the connection's funnel position; answered and established
	// are the writer's record of the last two stages.
	prog                  *progress
	answered, established bool
	tls                   bool
	raw                   bool // reads and writes go through rc
	// wait waits for the socket's readability (WaitReadable); made at
	// the first wait.
	wait *sockWait
	// rec shapes the first TLS records (dynamic record sizing); records
	// counts those written, up to rec.ramp.
	rec     recordSizing
	records int
	// pend holds bytes TryWrite took but the socket did not, already
	// encrypted and framed, at (*pend)[pendAt:pendEnd], until Flush (or
	// the next Write) sends them; owned by the writing side.
	pend            *[]byte
	pendAt, pendEnd int

	// log and panics report a panic in a goroutine the relay starts.
	log    *zap.Logger
	panics recovery.Observer

	// activity counts reads and writes; the relay's idle watchdog reads it.
	activity atomic.Uint64
	// in and out count wire bytes; each is written by one goroutine only
	// (the reader, the writer) and read after both are done.
	in, out int64

	// lease is the user's lease with Options.Users, else nil. waitIn and
	// waitOut are the pauses its rate limit asked for, each owned by one
	// direction, taken before that direction's next transfer while no
	// buffer is held; their timers are made at the first pause, and
	// closed (made with a lease only: no pause happens without one) ends
	// a pause when the connection closes.
	lease             Lease
	waitIn, waitOut   time.Duration
	timerIn, timerOut *time.Timer
	closed            chan struct{}
	closeOnce         sync.Once

	// done is closed when the engine closes this connection (the
	// Proxy's context ends); see ClosesWith.
	done <-chan struct{}
	// dogs watches the relay's idleness: the Proxy's, shared by its
	// clients; nil for a ClientConn made by hand (tests).
	dogs *timex.Watchdogs
	// early holds the wire bytes that the handshake read past its end (the
	// client sent them with its header), read before the socket's; nil
	// once read.
	early []byte
	// rc is conn's RawConn, nil when it has none (an in-process stream,
	// a PROXY-protocol connection that buffers). The engine sets it, and
	// raw, before the connection is used: reads and writes then go
	// through raw system calls (see internal/rawio). A ClientConn made
	// otherwise (tests) reads and writes through conn and looks rc up
	// on its reading side only, for the waits.
	rc syscall.RawConn
}

// rawConn returns the socket's RawConn, nil when the connection has none.
// Only the reading side calls it.
func (c *ClientConn) rawConn() syscall.RawConn {
	if c.rc == nil && !c.raw {
		c.rc, _ = rawio.RawConn(c.conn)
	}
	return c.rc
}

// read reads wire bytes from the client.
func (c *ClientConn) read(p []byte) (int, error) {
	if c.early != nil {
		return c.readEarly(p), nil
	}
	if c.raw {
		n, err := c.bufs.ops.Read(c.rc, p)
		if err == io.EOF {
			c.readEnded()
		}
		return n, err
	}
	return c.conn.Read(p)
}

// readEarly reads the bytes the handshake read past its end.
func (c *ClientConn) readEarly(p []byte) int {
	n := copy(p, c.early)
	if c.early = c.early[n:]; len(c.early) == 0 {
		c.early = nil // none left: reads go to the socket
	}
	return n
}

// takeEarly hands the bytes the handshake read past its end to a reader
// of the socket that goes around read (the relay's pump).
func (c *ClientConn) takeEarly() []byte {
	b := c.early
	c.early = nil
	return b
}

// readEnded tells a connection that counts on it (rawtcp.Conn.ReadEnded)
// that a read that went around its Read met the end of the stream: its
// Close then skips the check for unread bytes.
func (c *ClientConn) readEnded() {
	if e, ok := c.conn.(interface{ ReadEnded() }); ok {
		e.ReadEnded()
	}
}

// write writes wire bytes to the client.
func (c *ClientConn) write(p []byte) (int, error) {
	if c.raw {
		return c.bufs.ops.Write(c.rc, p)
	}
	return c.conn.Write(p)
}

// watchdogs returns the idle watchdogs of the relay: the engine's, else a
// set of this connection's own.
func (c *ClientConn) watchdogs() *timex.Watchdogs {
	if c.dogs == nil {
		c.dogs = &timex.Watchdogs{}
	}
	return c.dogs
}

// ClosesWith reports whether the engine closes this connection once ctx is
// done (ctx is the context Upstream.Serve was given, or one that ends with
// it): code that must stop when ctx is done then needs no watch of its
// own (a context.AfterFunc costs every idle client about 190 bytes), since
// its reads of the connection fail once it is closed.
func (c *ClientConn) ClosesWith(ctx context.Context) bool {
	d := ctx.Done()
	return d != nil && d == c.done
}

// ErrQuota ends the connection of a user whose quota is used up.
var ErrQuota = errors.New("proxy: the user's quota is used up")

// account adds wire bytes to the user's lease; false when its quota is
// used up.
func (c *ClientConn) account(in, out int) bool {
	if c.lease == nil {
		return true
	}
	wait, ok := c.lease.Account(in, out)
	if in > 0 {
		c.waitIn += wait
	} else {
		c.waitOut += wait
	}
	return ok
}

// paceIn and paceOut take the pause the user's rate limit asked for before
// the next read from or write to the client. They return net.ErrClosed if
// the connection closes meanwhile.
func (c *ClientConn) paceIn() error  { return c.pace(&c.waitIn, &c.timerIn) }
func (c *ClientConn) paceOut() error { return c.pace(&c.waitOut, &c.timerOut) }

func (c *ClientConn) pace(wait *time.Duration, t **time.Timer) error {
	d := *wait
	if d <= 0 {
		return nil
	}
	*wait = 0
	if *t == nil {
		*t = time.NewTimer(d)
	} else {
		(*t).Reset(d)
	}
	select {
	case <-(*t).C:
		return nil
	case <-c.closed:
		(*t).Stop()
		return net.ErrClosed
	}
}

// Read reads plaintext MTProto bytes from the client.
func (c *ClientConn) Read(p []byte) (int, error) {
	if err := c.paceIn(); err != nil {
		return 0, err
	}
	for {
		n, err := c.read(p)
		if n > 0 {
			b, terr := c.inbound(p[:n])
			if terr != nil {
				return 0, terr
			}
			if len(b) > 0 || err != nil {
				return len(b), err
			}
			continue // only record headers arrived
		}
		if err != nil {
			return 0, err
		}
	}
}

// WaitReadable blocks until a Read would not block (see
// [ReadableWaiter]), holding no buffer: a reader that borrows its buffer
// only while bytes are there, as the middle layer's packet reader, calls
// it first. A pause of the user's rate limit is taken here. It returns
// errors.ErrUnsupported when the connection cannot wait so.
func (c *ClientConn) WaitReadable() error {
	if err := c.paceIn(); err != nil {
		return err
	}
	if c.early != nil {
		return nil
	}
	rc := c.rawConn()
	if rc == nil {
		if w, ok := c.conn.(ReadableWaiter); ok {
			return w.WaitReadable()
		}
		return errors.ErrUnsupported
	}
	if c.wait == nil {
		c.wait = &sockWait{}
		c.wait.cb = c.wait.onReady
	}
	c.wait.calls = 0
	return rc.Read(c.wait.cb)
}

// sockWait waits for a socket's readability without reading it: one peek,
// and when nothing is there, the poller.
type sockWait struct {
	cb    func(fd uintptr) bool // onReady, bound once
	calls int                   // of cb in the current wait
}

// onReady is the RawConn.Read callback. Its first call in a wait peeks: the
// poller's readiness is reset when RawConn.Read starts, so bytes that came
// before it would not wake it. A later call comes from the poller, which
// saw bytes, the end of the stream or an error arrive since: no second
// peek (a spurious wake only makes the Read that follows wait as usual).
func (w *sockWait) onReady(fd uintptr) bool {
	w.calls++
	if w.calls > 1 {
		return true
	}
	return rawio.PeekFD(fd)
}

// inbound accounts for n wire bytes just read into b and transforms them in
// place: TLS record headers stripped, then decryption. It returns the
// plaintext, a prefix of b.
func (c *ClientConn) inbound(b []byte) ([]byte, error) {
	c.in += int64(len(b))
	c.traffic.FromClient.Add(uint64(len(b)))
	c.activity.Add(1)
	if !c.account(len(b), 0) {
		return nil, ErrQuota
	}
	if c.tls {
		var err error
		if b, err = c.unwrap.Unwrap(b); err != nil {
			return nil, err
		}
	}
	c.dec.XORKeyStream(b, b)
	return b, nil
}

// CloseWrite shuts the client's receiving side down (a TCP half-close):
// the client reads the end of the stream while it can still send. It
// returns errors.ErrUnsupported when the connection cannot half-close.
func (c *ClientConn) CloseWrite() error { return netx.CloseWrite(c.conn) }

// Close closes the client's connection.
func (c *ClientConn) Close() error {
	c.closeOnce.Do(func() {
		if c.closed != nil {
			close(c.closed)
		}
	})
	return c.conn.Close()
}

// SetReadDeadline sets the deadline of the underlying connection's reads.
func (c *ClientConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of the underlying connection's writes.
func (c *ClientConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// Activity returns a counter that moves whenever the client's connection
// carries bytes either way, for idle detection.
func (c *ClientConn) Activity() uint64 { return c.activity.Load() }

// Bytes returns the wire bytes read from and written to the client so far.
// Call it only once reading and writing are over.
func (c *ClientConn) Bytes() (in, out int64) { return c.in, c.out }
