//go:build linux

package rawtcp

import (
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Conn is an accepted TCP connection read and written with raw system
// calls through the runtime poller. It is a net.Conn, a syscall.Conn and
// a half-closer, as *net.TCPConn is.
type Conn struct {
	f      *os.File
	rc     rawConn
	closer *closer
	local  atomic.Pointer[net.TCPAddr] // nil until asked when the listener's address is a wildcard
	remote net.Addr
	closed atomic.Bool
	// ended is set once a read returned the end of the stream.
	ended atomic.Bool
	// wrShut is set once CloseWrite sent the FIN.
	wrShut atomic.Bool
}

// aLongTimeAgo is a deadline already passed: setting it wakes the
// connection's pending calls.
var aLongTimeAgo = time.Unix(1, 0)

// Read reads as net.Conn's Read does.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.closer.ops.Read(c.rc, b)
	if err == io.EOF {
		c.ended.Store(true)
	}
	return n, err
}

// ReadEnded tells c that a read through its SyscallConn, which c does not
// see, returned the end of the stream. No byte can wait unread behind the
// peer's FIN, so Close then sends its own FIN without asking the kernel
// first (one system call fewer per connection).
func (c *Conn) ReadEnded() { c.ended.Store(true) }

// Write writes as net.Conn's Write does.
func (c *Conn) Write(b []byte) (int, error) { return c.closer.ops.Write(c.rc, b) }

// Close makes every pending and later call fail with net.ErrClosed and
// ends the connection as close(2) does. Most often that is a FIN, sent at
// once with a raw shutdown (none when CloseWrite sent it already), the
// descriptor left to the next batch of closes; a connection with unread
// bytes is closed at once, for close(2) then resets it (RST) and shutdown
// would send a FIN first.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return c.opError("close", net.ErrClosed)
	}
	unread, ended, finSent := false, c.ended.Load(), c.wrShut.Load()
	_ = c.rc.rc.Control(func(fd uintptr) {
		if !ended {
			var n int32
			_, _, e := syscall.RawSyscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
			unread = e != 0 || n > 0
		}
		if !unread && !finSent {
			_, _, _ = syscall.RawSyscall(syscall.SYS_SHUTDOWN, fd, syscall.SHUT_RDWR, 0)
		}
	})
	// The poller wakes waiters on a passed deadline without a system call.
	_ = c.f.SetDeadline(aLongTimeAgo)
	if unread {
		_ = c.f.Close()
		c.closer.done.Add(1)
		return nil
	}
	c.closer.add(c.f)
	return nil
}

// CloseWrite shuts the sending side down: the peer reads the end of the
// stream while this side can still read.
func (c *Conn) CloseWrite() error {
	var e syscall.Errno
	err := c.rc.Control(func(fd uintptr) {
		_, _, e = syscall.RawSyscall(syscall.SYS_SHUTDOWN, fd, syscall.SHUT_WR, 0)
	})
	switch {
	case err == nil && e != 0:
		err = c.opError("close", os.NewSyscallError("shutdown", e))
	case err == nil:
		c.wrShut.Store(true)
	}
	return err
}

// LocalAddr returns the connection's local address.
func (c *Conn) LocalAddr() net.Addr {
	if a := c.local.Load(); a != nil {
		return a
	}
	var sa syscall.RawSockaddrAny
	_ = c.rc.rc.Control(func(fd uintptr) {
		n := uint32(syscall.SizeofSockaddrAny)
		if _, _, e := syscall.RawSyscall(syscall.SYS_GETSOCKNAME, fd, uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n))); e != 0 {
			sa = syscall.RawSockaddrAny{}
		}
	})
	a := tcpAddr(&sa)
	if a == nil {
		return nil // closed: asked again, not kept
	}
	c.local.Store(a)
	return a
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.deadline(c.f.SetDeadline, t) }

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.deadline(c.f.SetReadDeadline, t) }

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.deadline(c.f.SetWriteDeadline, t) }

func (c *Conn) deadline(set func(time.Time) error, t time.Time) error {
	if c.closed.Load() {
		// Close's passed deadline stays: a pending call must not wait on.
		return c.opError("set", net.ErrClosed)
	}
	return set(t)
}

// SyscallConn returns the socket's raw connection, whose calls fail with
// net.ErrClosed once the connection is closed.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return c.rc, nil }

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.remote, Err: err}
}

// rawConn is the *os.File's RawConn with net's errors: net.ErrClosed once
// Close was called (the poller says "use of closed file", or the deadline
// that Close set has passed), and failures wrapped in *net.OpError.
type rawConn struct {
	c  *Conn
	rc syscall.RawConn
}

func (r rawConn) Control(f func(fd uintptr)) error {
	if err := r.rc.Control(f); err != nil {
		return r.c.opError("raw-control", err)
	}
	return nil
}
func (r rawConn) Read(f func(fd uintptr) bool) error {
	if r.c.closed.Load() {
		return r.c.opError("read", net.ErrClosed)
	}
	return r.result("read", r.rc.Read(f))
}

func (r rawConn) Write(f func(fd uintptr) bool) error {
	if r.c.closed.Load() {
		return r.c.opError("write", net.ErrClosed)
	}
	return r.result("write", r.rc.Write(f))
}

// result maps a call's error. A call that raced Close fails with
// net.ErrClosed even when its callback finished: woken by Close's
// shutdown rather than by its deadline, it read the end of the stream
// (or got EPIPE) that Close itself caused.
func (r rawConn) result(op string, err error) error {
	if r.c.closed.Load() {
		err = net.ErrClosed
	}
	if err == nil {
		return nil
	}
	return r.c.opError(op, err)
}

var _ interface {
	net.Conn
	syscall.Conn
	CloseWrite() error
} = (*Conn)(nil)
