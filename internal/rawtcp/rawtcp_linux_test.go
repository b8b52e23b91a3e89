//go:build linux

package rawtcp

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// listen returns a Listener over a fresh loopback listener.
func listen(t *testing.T, network, addr string) (*Listener, *net.TCPListener) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("listen %s %s: %v", network, addr, err)
	}
	tl := ln.(*net.TCPListener)
	l, ok := Wrap(tl)
	if !ok {
		t.Fatal("Wrap declined a TCP listener")
	}
	t.Cleanup(func() { l.Close() })
	return l, tl
}

// pair returns a client connection to l and its accepted *Conn.
func pair(t *testing.T, l *Listener, dial string) (net.Conn, *Conn) {
	t.Helper()
	// The kernel completes the connection into the backlog: Dial returns
	// before Accept is called.
	d, err := net.Dial("tcp", dial)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return d, c.(*Conn)
}

// waitFor polls cond until it holds; the test's own timeout bounds it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAcceptReadWriteAndAddresses(t *testing.T) {
	for _, c := range []struct{ network, listen string }{
		{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"},
	} {
		t.Run(c.network, func(t *testing.T) {
			l, tl := listen(t, c.network, c.listen)
			d, s := pair(t, l, tl.Addr().String())
			if s.RemoteAddr().String() != d.LocalAddr().String() || s.LocalAddr().String() != d.RemoteAddr().String() {
				t.Fatalf("accepted %v <- %v, dialed %v -> %v", s.LocalAddr(), s.RemoteAddr(), d.LocalAddr(), d.RemoteAddr())
			}
			if _, err := d.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 4)
			if _, err := io.ReadFull(s, b); err != nil || string(b) != "ping" {
				t.Fatalf("read %q, %v", b, err)
			}
			if _, err := s.Write([]byte("pong")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(d, b); err != nil || string(b) != "pong" {
				t.Fatalf("peer read %q, %v", b, err)
			}
		})
	}
}

// A wildcard listener's connections report the address they were taken
// on, as net's do.
func TestWildcardLocalAddr(t *testing.T) {
	l, tl := listen(t, "tcp4", "0.0.0.0:0")
	port := tl.Addr().(*net.TCPAddr).Port
	d, s := pair(t, l, net.JoinHostPort("127.0.0.1", itoa(port)))
	// Asked from two goroutines at once (a reader's and a writer's errors).
	other := make(chan string)
	go func() { other <- s.LocalAddr().String() }()
	if got, want := s.LocalAddr().String(), d.RemoteAddr().String(); got != want || <-other != want {
		t.Fatalf("local address %s, want %s", got, want)
	}
}

func itoa(n int) string { return (&net.TCPAddr{Port: n}).String()[1:] }

// Accepted sockets inherit TCP_NODELAY from the listening socket, as net
// sets it on each of its own.
func TestAcceptedSocketsHaveNoDelay(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	_, s := pair(t, l, tl.Addr().String())
	rc, _ := s.SyscallConn()
	v := -1
	if err := rc.Control(func(fd uintptr) { v, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY) }); err != nil {
		t.Fatal(err)
	}
	if v != 1 {
		t.Fatalf("TCP_NODELAY %d on an accepted socket", v)
	}
}

// Close fails a pending Read and a pending Write with net.ErrClosed at
// once, sends the FIN at once, and releases the descriptor in a batch.
func TestCloseUnblocksAndReleases(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	d, s := pair(t, l, tl.Addr().String())
	_, w := pair(t, l, tl.Addr().String())

	readErr := make(chan error, 1)
	go func() { _, err := s.Read(make([]byte, 10)); readErr <- err }()
	// A write larger than both socket buffers blocks until the peer, who
	// never reads, goes away.
	writeErr := make(chan error, 1)
	go func() { _, err := w.Write(make([]byte, 64<<20)); writeErr <- err }()
	waitFor(t, "the write under way", func() bool { return outq(w) > 0 })

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []chan error{readErr, writeErr} {
		if err := <-ch; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("pending call after Close: %v, want net.ErrClosed", err)
		}
	}
	if n, err := d.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("peer read %d, %v; want the FIN", n, err)
	}
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.SetReadDeadline(time.Time{}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("SetReadDeadline after Close: %v", err)
	}
	waitFor(t, "the descriptors closed", func() bool { return l.closer.done.Load() == 2 })
	if s.f.Fd() != ^uintptr(0) || w.f.Fd() != ^uintptr(0) {
		t.Fatal("a descriptor counted closed is open")
	}
}

// outq is the bytes queued in c's send buffer (SIOCOUTQ).
func outq(c *Conn) int {
	var q int32
	_ = c.rc.Control(func(fd uintptr) {
		_, _, _ = syscall.RawSyscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&q)))
	})
	return int(q)
}

// More closes than a batch holds go at once, and every descriptor is
// released.
func TestManyClosesAllReleased(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	conns := make([]*Conn, 0, closeBatchMax+10)
	for range cap(conns) {
		_, s := pair(t, l, tl.Addr().String())
		conns = append(conns, s)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	waitFor(t, "every descriptor closed", func() bool { return l.closer.done.Load() == int64(len(conns)) })
	for _, c := range conns {
		if c.f.Fd() != ^uintptr(0) {
			t.Fatal("a descriptor counted closed is open")
		}
	}
}

func TestDeadlines(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	d, s := pair(t, l, tl.Addr().String())
	if err := s.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Read(make([]byte, 1))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past its deadline: %v", err)
	}
	if err := s.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write([]byte{7}); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := s.Read(b); err != nil || b[0] != 7 {
		t.Fatalf("read after clearing the deadline: %v %v", b, err)
	}
}

func TestCloseWrite(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	d, s := pair(t, l, tl.Addr().String())
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer after CloseWrite: %v", err)
	}
	if _, err := d.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(make([]byte, 1)); err != nil {
		t.Fatalf("read after CloseWrite: %v", err)
	}
}

// Close after CloseWrite (the relay's end: the FIN went with CloseWrite,
// so Close sends no shutdown of its own) still fails a pending read at
// once, leaves the peer with a clean end of the stream and releases the
// descriptor.
func TestCloseAfterCloseWrite(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	d, s := pair(t, l, tl.Addr().String())
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() { _, err := s.Read(make([]byte, 1)); readErr <- err }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-readErr; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("pending read after Close: %v, want net.ErrClosed", err)
	}
	if n, err := d.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("peer read %d, %v; want the FIN", n, err)
	}
	waitFor(t, "the descriptor closed", func() bool { return l.closer.done.Load() == 1 })
}

// Close fails a pending Accept with net.ErrClosed and closes the wrapped
// listener; Detach fails it but leaves the wrapped listener to its owner.
func TestListenerCloseAndDetach(t *testing.T) {
	for _, detach := range []bool{false, true} {
		l, tl := listen(t, "tcp4", "127.0.0.1:0")
		acceptErr := make(chan error, 1)
		go func() { _, err := l.Accept(); acceptErr <- err }()
		if detach {
			l.Detach()
		} else {
			_ = l.Close()
		}
		if err := <-acceptErr; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("detach %v: pending Accept: %v", detach, err)
		}
		d, err := net.Dial("tcp", tl.Addr().String())
		if detach {
			if err != nil {
				t.Fatal(err)
			}
			c, err := tl.Accept()
			if err != nil {
				t.Fatalf("the wrapped listener after Detach: %v", err)
			}
			c.Close()
			d.Close()
		} else if err == nil {
			d.Close()
			t.Fatal("the listening socket is still open after Close")
		}
	}
}

// Out of descriptors, Accept says so with EMFILE and loses nothing: the
// connection waits in the backlog for the next Accept.
func TestAcceptOutOfDescriptors(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	d, err := net.Dial("tcp", tl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	// The lowest free descriptor is below the new limit, so accept4 needs
	// one more than there are.
	probe, err := syscall.Dup(0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(probe)
	low := old
	low.Cur = uint64(probe)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower RLIMIT_NOFILE: %v", err)
	}
	_, err = l.Accept()
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("Accept out of descriptors: %v", err)
	}
	c, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept once descriptors are back: %v", err)
	}
	c.Close()
}

// A connection closed with bytes unread is reset, as close(2) resets it,
// not ended with a FIN.
func TestCloseWithUnreadBytesResets(t *testing.T) {
	l, tl := listen(t, "tcp4", "127.0.0.1:0")
	d, s := pair(t, l, tl.Addr().String())
	if _, err := d.Write([]byte("unread")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bytes arrived", func() bool {
		var n int32
		_ = s.rc.Control(func(fd uintptr) {
			_, _, _ = syscall.RawSyscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		})
		return n > 0
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("peer read %v, want a reset", err)
	}
	if got := l.closer.done.Load(); got != 1 {
		t.Fatalf("%d descriptors closed at once, want 1", got)
	}
}

// Once a read met the end of the stream, through Read or around it (with
// ReadEnded), Close ends the connection with a FIN without asking the
// kernel for unread bytes: none can follow the peer's FIN.
func TestCloseAfterTheEndOfTheStream(t *testing.T) {
	for _, around := range []bool{false, true} {
		l, tl := listen(t, "tcp4", "127.0.0.1:0")
		d, s := pair(t, l, tl.Addr().String())
		if err := d.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if around {
			var n int
			var rerr error
			var b [1]byte
			err := s.rc.Read(func(fd uintptr) bool {
				r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), 1)
				n, rerr = int(r), e
				return e != syscall.EAGAIN
			})
			if err != nil || n != 0 || rerr != syscall.Errno(0) {
				t.Fatalf("raw read %d, %v, %v; want the end of the stream", n, err, rerr)
			}
			s.ReadEnded()
		} else if _, err := s.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read %v, want io.EOF", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("around %v: peer read %v, want the FIN", around, err)
		}
	}
}
