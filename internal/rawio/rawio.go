package rawio

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// ReadFD reads into b, which must not be empty, from the socket fd with a
// raw system call: for callbacks of syscall.RawConn.Read. EINTR is
// retried. It returns syscall.EAGAIN when nothing is there (the callback
// then goes back to waiting), io.EOF at the end of the stream, and any
// other failure as an *os.SyscallError.
func ReadFD(fd uintptr, b []byte) (int, error) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		switch {
		case e == syscall.EINTR:
			continue
		case e == syscall.EAGAIN:
			return 0, syscall.EAGAIN
		case e != 0:
			return 0, os.NewSyscallError("read", e)
		case r == 0:
			return 0, io.EOF
		}
		return int(r), nil
	}
}

// WriteFD writes b to the socket fd with a raw system call: for callbacks
// of syscall.RawConn.Write. EINTR is retried.
func WriteFD(fd uintptr, b []byte) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}

// PeekFD reports whether a byte, the end of the stream or an error is
// there to read on the socket fd, reading nothing.
func PeekFD(fd uintptr) bool {
	var b [1]byte
	for {
		_, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		if e != syscall.EINTR {
			return e != syscall.EAGAIN
		}
	}
}

// Op is the state of one read or write and its callbacks, bound once.
type Op struct {
	b         []byte
	n         int
	err       error
	reader    func(fd uintptr) bool
	writer    func(fd uintptr) bool
	tryWriter func(fd uintptr) bool
}

// NewOp returns an Op with its callbacks bound.
func NewOp() *Op {
	o := &Op{}
	o.reader, o.writer, o.tryWriter = o.onReadable, o.onWritable, o.onWritableNow
	return o
}

// Read reads into b from rc's socket once bytes are there (or the stream
// ended or failed), as net.Conn's Read: io.EOF at the end of the stream.
// An error of the socket call is an *os.SyscallError; a closed socket or
// a passed deadline is rc's error (net.ErrClosed, os.ErrDeadlineExceeded
// inside a *net.OpError).
func (o *Op) Read(rc syscall.RawConn, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	o.b, o.n, o.err = b, 0, nil
	err := rc.Read(o.reader)
	n := o.n
	if err == nil {
		err = o.err
	}
	o.b, o.err = nil, nil
	return n, err
}

func (o *Op) onReadable(fd uintptr) bool {
	n, err := ReadFD(fd, o.b)
	if err == syscall.EAGAIN {
		return false
	}
	o.n, o.err = n, err
	return true
}

// Write writes all of b to rc's socket, waiting for room as needed. It
// returns the bytes written and the error that stopped it.
func (o *Op) Write(rc syscall.RawConn, b []byte) (int, error) { return o.write(rc, b, o.writer) }

// write writes b through rc with the callback cb (o.writer or o.tryWriter).
func (o *Op) write(rc syscall.RawConn, b []byte, cb func(fd uintptr) bool) (int, error) {
	o.b, o.n, o.err = b, 0, nil
	err := rc.Write(cb)
	n := o.n
	if err == nil {
		err = o.err
	}
	o.b, o.err = nil, nil
	return n, err
}

func (o *Op) onWritable(fd uintptr) bool {
	for o.n < len(o.b) {
		n, e := WriteFD(fd, o.b[o.n:])
		switch {
		case e == syscall.EAGAIN:
			return false
		case e != 0:
			o.err = os.NewSyscallError("write", e)
			return true
		}
		o.n += n
	}
	return true
}

// TryWrite writes what of b rc's socket takes now and never waits: it
// returns the bytes written, fewer than len(b) (and a nil error) when the
// socket's buffer is full. A closed socket is rc's error, as for Write.
func (o *Op) TryWrite(rc syscall.RawConn, b []byte) (int, error) {
	return o.write(rc, b, o.tryWriter)
}

func (o *Op) onWritableNow(fd uintptr) bool {
	o.onWritable(fd) // false only when the socket is full: done either way
	return true
}

// Pool lends Ops, for connections that should not hold one between
// calls (an idle client). The zero value is ready to use.
type Pool struct{ p sync.Pool }

// Read is Op.Read with a pooled Op.
func (p *Pool) Read(rc syscall.RawConn, b []byte) (int, error) {
	o := p.get()
	n, err := o.Read(rc, b)
	p.p.Put(o)
	return n, err
}

// Write is Op.Write with a pooled Op.
func (p *Pool) Write(rc syscall.RawConn, b []byte) (int, error) {
	o := p.get()
	n, err := o.Write(rc, b)
	p.p.Put(o)
	return n, err
}

// TryWrite is Op.TryWrite with a pooled Op.
func (p *Pool) TryWrite(rc syscall.RawConn, b []byte) (int, error) {
	o := p.get()
	n, err := o.TryWrite(rc, b)
	p.p.Put(o)
	return n, err
}

func (p *Pool) get() *Op {
	if o, _ := p.p.Get().(*Op); o != nil {
		return o
	}
	return NewOp()
}

// Conn is a socket's io.Reader and io.Writer with an Op of its own for
// each direction: one goroutine may read while another writes.
type Conn struct {
	rc   syscall.RawConn
	r, w *Op
}

// NewConn returns c's raw reads and writes, or ok false when c has no
// file descriptor (the caller keeps using c).
func NewConn(c net.Conn) (conn *Conn, ok bool) {
	rc, ok := RawConn(c)
	if !ok {
		return nil, false
	}
	return &Conn{rc: rc, r: NewOp(), w: NewOp()}, true
}

// RawConn returns c's syscall.RawConn, or ok false when it has none.
func RawConn(c net.Conn) (syscall.RawConn, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	return rc, true
}

// Read reads as net.Conn's Read does.
func (c *Conn) Read(b []byte) (int, error) { return c.r.Read(c.rc, b) }

// Write writes all of b as net.Conn's Write does.
func (c *Conn) Write(b []byte) (int, error) { return c.w.Write(c.rc, b) }
