//go:build linux

package rawtcp

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Listener accepts connections from a *net.TCPListener's socket with raw
// accept4 calls. It reads the socket through a duplicate of its
// descriptor registered with the runtime poller as an *os.File, since
// net's listener refuses RawConn.Read.
type Listener struct {
	tl     *net.TCPListener
	f      *os.File // the duplicate: accept4 runs on it
	rc     syscall.RawConn
	addr   *net.TCPAddr
	local  bool // addr is every accepted connection's local address
	closer *closer
	acc    accept
	closed atomic.Bool
}

// accept is the state of one Accept and its callback, bound once; mu
// keeps concurrent Accepts apart (the engine has one accept loop).
type accept struct {
	mu  sync.Mutex
	fd  int
	sa  syscall.RawSockaddrAny
	err error
	cb  func(fd uintptr) bool
}

// Wrap returns a Listener over tl's socket. It sets TCP_NODELAY on the
// listening socket, which accepted sockets inherit as they inherit the
// keepalive the caller may have set there: a connection from Accept has
// no socket options of its own set. ok is false, and tl is untouched,
// when the socket cannot be duplicated or registered.
func Wrap(tl *net.TCPListener) (l *Listener, ok bool) {
	rc, err := tl.SyscallConn()
	if err != nil {
		return nil, false
	}
	dup, serr := -1, syscall.Errno(0)
	err = rc.Control(func(fd uintptr) {
		r, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			serr = e
			return
		}
		dup = int(r)
		serr = setsockopt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	})
	if err != nil || serr != 0 {
		if dup >= 0 {
			_ = syscall.Close(dup)
		}
		return nil, false
	}
	// The duplicate shares the listening socket's non-blocking flag, so
	// os.NewFile registers it with the poller.
	f := os.NewFile(uintptr(dup), "rawtcp-listener")
	frc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, false
	}
	addr, _ := tl.Addr().(*net.TCPAddr)
	l = &Listener{tl: tl, f: f, rc: frc, addr: addr, closer: &closer{}}
	l.local = addr != nil && !addr.IP.IsUnspecified()
	l.acc.cb = l.acc.onReadable
	return l, true
}

func (a *accept) onReadable(fd uintptr) bool {
	for {
		n := uint32(unsafe.Sizeof(a.sa))
		r, _, e := syscall.RawSyscall6(syscall.SYS_ACCEPT4, fd, uintptr(unsafe.Pointer(&a.sa)),
			uintptr(unsafe.Pointer(&n)), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
			a.fd = int(r)
			return true
		case syscall.EAGAIN:
			return false
		case syscall.EINTR, syscall.ECONNABORTED:
			// A peer that reset before we took it, as net's accept skips.
			continue
		}
		a.err = os.NewSyscallError("accept4", e)
		return true
	}
}

// Accept waits for the next connection and returns it as a *Conn. Errors
// are *net.OpError, as net's: net.ErrClosed once the listener is closed,
// EMFILE and ENFILE (as *os.SyscallError) when out of descriptors.
func (l *Listener) Accept() (net.Conn, error) {
	a := &l.acc
	a.mu.Lock()
	a.fd, a.err = -1, nil
	err := l.rc.Read(a.cb)
	if err == nil {
		err = a.err
	}
	fd, sa := a.fd, a.sa
	a.mu.Unlock()
	if err != nil {
		if l.closed.Load() {
			// The poller's "use of closed file", as net says it.
			err = net.ErrClosed
		}
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: err}
	}
	f := os.NewFile(uintptr(fd), "rawtcp")
	rc, err := f.SyscallConn()
	if err != nil { // only for a nil *os.File
		_ = f.Close()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: err}
	}
	c := &Conn{f: f, closer: l.closer, remote: tcpAddr(&sa)}
	c.rc = rawConn{c: c, rc: rc}
	if l.local {
		c.local.Store(l.addr)
	}
	return c, nil
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.tl.Addr() }

// Close closes the listening socket: the wrapped listener and the
// duplicate. A pending Accept returns net.ErrClosed.
func (l *Listener) Close() error {
	l.Detach()
	return l.tl.Close()
}

// Detach closes the duplicate only, leaving the wrapped listener open
// for its owner. A pending Accept returns net.ErrClosed.
func (l *Listener) Detach() {
	l.closed.Store(true)
	_ = l.f.Close()
}

// SetDeadline sets the deadline of Accept.
func (l *Listener) SetDeadline(t time.Time) error { return l.f.SetReadDeadline(t) }

func setsockopt(fd uintptr, level, opt, v int) syscall.Errno {
	iv := int32(v)
	_, _, e := syscall.RawSyscall6(syscall.SYS_SETSOCKOPT, fd, uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&iv)), unsafe.Sizeof(iv), 0)
	return e
}
