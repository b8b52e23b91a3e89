package proxy

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/mtproxy/mtproxy/internal/rawio"
)

// ReadableWaiter is implemented by an in-process net.Conn (one without a
// file descriptor, such as a stream of the WEB proxy carrier handed to
// [Proxy.ServeCarried]) that can wait for bytes without reading them.
// WaitReadable blocks until a Read would not block: bytes are there, or
// the connection ended or failed (Read then reports it), or the read
// deadline passed (it returns os.ErrDeadlineExceeded). It returns
// errors.ErrUnsupported when this connection cannot wait so.
//
// The relay uses it like the readiness wait of a socket: an idle carried
// stream holds no relay buffer.
type ReadableWaiter interface {
	WaitReadable() error
}

// pump reads one direction of a relay. When the source exposes its file
// descriptor it waits for readability without holding a buffer and takes
// one from the pool only once bytes are there, so an idle connection holds
// no relay buffer at all; an in-process source that implements
// ReadableWaiter gets the same. Otherwise it falls back to a plain blocking
// Read.
//
// A pump allocates nothing per read: the readiness callback is a method
// value bound once, and it reads with a raw system call (see
// internal/rawio).
//
// A pump without a limit per read takes a bulk buffer (see
// Options.BulkBuffers) after a read that filled a plain one, and a plain
// one again after bulkCooldown reads in a row that a plain one would have
// held.
type pump struct {
	src  net.Conn
	rc   syscall.RawConn
	pool *bufferPool
	max  int  // payload bytes per read, at most pool.size; 0: a whole buffer, bulk ones too
	bulk bool // the next buffer taken is a bulk one
	// small counts the reads in a row, while bulk, that a plain buffer
	// would have held.
	small uint8

	buf  *[]byte // held between read and release
	n    int
	rerr error
	cb   func(fd uintptr) bool
	wait ReadableWaiter // nil: no wait before a plain Read
	// early holds bytes read from src before the pump started (the
	// handshake's, ClientConn.takeEarly), read first.
	early []byte
}

// newPump returns a pump of src, whose RawConn is rc (nil when src has
// none), reading at most max bytes at a time (0 or less: no limit but the
// buffer's). It is not inlined: the relay's loops call it once and park
// below their own frames for the connection's life, so its locals must
// not widen those frames (see relay).
//
//go:noinline
func newPump(src net.Conn, rc syscall.RawConn, pool *bufferPool, limit int) *pump {
	p := &pump{src: src, pool: pool, max: min(max(limit, 0), pool.size)}
	if rc != nil {
		p.rc = rc
		p.cb = p.onReadable
	}
	if w, ok := src.(ReadableWaiter); ok && p.rc == nil {
		p.wait = w
	}
	return p
}

// read blocks until bytes arrive and returns them: a slice of a pooled
// buffer with headroom free bytes in front of it. The caller must call
// release once done with the bytes. n == 0 comes with an error (io.EOF at
// the end of the stream).
func (p *pump) read() ([]byte, error) {
	if len(p.early) > 0 {
		p.take()
		n := copy(p.room(), p.early)
		p.early = p.early[n:]
		return (*p.buf)[headroom : headroom+n], nil
	}
	if p.rc == nil {
		if p.wait != nil {
			switch err := p.wait.WaitReadable(); {
			case errors.Is(err, errors.ErrUnsupported):
				p.wait = nil
			case err != nil:
				return nil, err
			}
		}
		p.take()
		n, err := p.src.Read(p.room())
		if n == 0 && err == nil {
			err = io.ErrNoProgress
		}
		p.next(n)
		return (*p.buf)[headroom : headroom+n], err
	}
	p.n, p.rerr = 0, nil
	if err := p.rc.Read(p.cb); err != nil {
		p.release()
		return nil, err
	}
	if p.buf == nil {
		return nil, p.rerr
	}
	return (*p.buf)[headroom : headroom+p.n], p.rerr
}

// onReadable is called by the runtime poller when the socket may be
// readable. It returns false to go back to waiting.
func (p *pump) onReadable(fd uintptr) bool {
	if p.buf == nil {
		p.take()
	}
	n, err := rawio.ReadFD(fd, p.room())
	switch {
	case err == syscall.EAGAIN:
		p.pool.put(p.buf)
		p.buf = nil
		return false
	case err == io.EOF:
		p.rerr = io.EOF
	case err != nil:
		p.rerr = &net.OpError{Op: "read", Net: "tcp", Source: p.src.LocalAddr(), Addr: p.src.RemoteAddr(), Err: err}
	default:
		p.n = n
		p.next(n)
	}
	return true
}

// take takes the buffer of the next read.
func (p *pump) take() {
	if p.bulk {
		p.buf = p.pool.getBulk()
	} else {
		p.buf = p.pool.get()
	}
}

// room is the held buffer's payload space for one read.
func (p *pump) room() []byte {
	if p.max > 0 {
		return (*p.buf)[headroom : headroom+p.max]
	}
	return (*p.buf)[headroom:]
}

// bulkCooldown is how many reads in a row a plain buffer would have held
// before a pump goes back to plain buffers. One is too few: a stream of
// packets a little larger than a plain buffer, each arriving alone, would
// read each in two calls, the buffer's worth and then the last bytes
// (which sent the pump back to plain), and write each in two as well.
const bulkCooldown = 4

// next chooses the next buffer after a read of n bytes: a bulk one once
// reads fill a plain one (bytes are queueing), when the pump may, until
// bulkCooldown reads in a row would have fitted a plain one.
func (p *pump) next(n int) {
	switch {
	case p.max != 0:
		p.bulk = false
	case n >= p.pool.size:
		p.bulk, p.small = true, 0
	case p.bulk:
		if p.small++; p.small >= bulkCooldown {
			p.bulk, p.small = false, 0
		}
	}
}

// headroomBuf returns the whole held buffer, headroom included.
func (p *pump) headroomBuf() []byte { return *p.buf }

// release returns the held buffer to the pool.
func (p *pump) release() {
	if p.buf != nil {
		p.pool.put(p.buf)
		p.buf = nil
	}
}
