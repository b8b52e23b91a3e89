package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (a, b net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b = <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// Bytes written raw arrive whole and in order, both ways, through a
// reader slower than the writer (the write waits for room on the poller
// many times over: 8 MiB against socket buffers of a few hundred KiB),
// and the end of the stream reads as io.EOF.
func TestConnRoundTrip(t *testing.T) {
	a, b := pair(t)
	ra, ok := NewConn(a)
	if !ok {
		t.Fatal("a TCP connection has no RawConn")
	}
	want := make([]byte, 8<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	werr := make(chan error, 1)
	go func() {
		n, err := ra.Write(want)
		if err == nil && n != len(want) {
			err = io.ErrShortWrite
		}
		a.(*net.TCPConn).CloseWrite()
		werr <- err
	}()
	rb, _ := NewConn(b)
	got, err := io.ReadAll(rb)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(want))
	}
	// The other way, through a pooled Op.
	var p Pool
	rcb, _ := RawConn(b)
	rca, _ := RawConn(a)
	if n, err := p.Write(rcb, []byte("pong")); n != 4 || err != nil {
		t.Fatalf("pooled write: %d, %v", n, err)
	}
	buf := make([]byte, 16)
	if n, err := p.Read(rca, buf); n != 4 || err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("pooled read: %q, %v", buf[:n], err)
	}
	b.(*net.TCPConn).CloseWrite()
	if n, err := p.Read(rca, buf); n != 0 || err != io.EOF {
		t.Fatalf("read at the end of the stream: %d, %v; want 0, io.EOF", n, err)
	}
}

// A read deadline ends a waiting read with a timeout, a closed
// connection's read fails with net.ErrClosed, a reset shows as
// ECONNRESET, and a connection without a descriptor has no RawConn.
func TestConnErrors(t *testing.T) {
	a, b := pair(t)
	ra, _ := NewConn(a)
	_ = a.SetReadDeadline(time.Now().Add(time.Millisecond))
	var ne net.Error
	if _, err := ra.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	_ = a.SetReadDeadline(time.Time{})

	b.(*net.TCPConn).SetLinger(0)
	b.Close() // a reset
	for {
		_, err := ra.Read(make([]byte, 1))
		if err == nil {
			continue
		}
		if !errors.Is(err, syscall.ECONNRESET) && err != io.EOF {
			t.Fatalf("read after the peer's reset: %v", err)
		}
		break
	}
	a.Close()
	if _, err := ra.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed connection: %v, want net.ErrClosed", err)
	}

	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if _, ok := NewConn(p1); ok {
		t.Fatal("an in-process pipe has a RawConn")
	}
}

// Reads and writes allocate nothing.
func TestNoAllocations(t *testing.T) {
	a, b := pair(t)
	ra, _ := NewConn(a)
	rb, _ := NewConn(b)
	out, in := []byte("0123456789"), make([]byte, 10)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ra.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rb, in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per write and read, want 0", allocs)
	}
}

// PeekFD sees bytes without taking them, and nothing on a quiet socket.
func TestPeekFD(t *testing.T) {
	a, b := pair(t)
	rc, _ := RawConn(a)
	peek := func() (ready bool) {
		if err := rc.Control(func(fd uintptr) { ready = PeekFD(fd) }); err != nil {
			t.Fatal(err)
		}
		return ready
	}
	if peek() {
		t.Fatal("a quiet socket peeks readable")
	}
	if _, err := b.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	ra, _ := NewConn(a)
	// Wait for the byte on the poller, peeking at each wake.
	if err := rc.Read(func(fd uintptr) bool { return PeekFD(fd) }); err != nil {
		t.Fatal(err)
	}
	if !peek() {
		t.Fatal("the peek took the byte")
	}
	buf := make([]byte, 1)
	if n, err := ra.Read(buf); n != 1 || buf[0] != 'x' || err != nil {
		t.Fatalf("read after peeks: %q, %v", buf[:n], err)
	}
}

// TryWrite takes what the socket has room for and returns at once when it
// is full (the peer reads nothing here), without an error; what it wrote
// arrives in order, and on a closed socket it fails with net.ErrClosed.
func TestTryWrite(t *testing.T) {
	a, b := pair(t)
	rc, _ := RawConn(a)
	var p Pool
	chunk := make([]byte, 64<<10)
	var sent []byte
	for i := 0; ; i++ {
		for j := range chunk {
			chunk[j] = byte(i + j)
		}
		n, err := p.TryWrite(rc, chunk)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, chunk[:n]...)
		if n < len(chunk) {
			break // the socket is full: TryWrite did not wait
		}
		if i > 10000 {
			t.Fatal("640 MB taken by an unread socket")
		}
	}
	done := make(chan []byte, 1)
	go func() {
		got, _ := io.ReadAll(b)
		done <- got
	}()
	a.(*net.TCPConn).CloseWrite()
	if got := <-done; !bytes.Equal(got, sent) {
		t.Fatalf("read %d bytes, want the %d taken", len(got), len(sent))
	}
	a.Close()
	if _, err := p.TryWrite(rc, []byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("TryWrite on a closed socket: %v, want net.ErrClosed", err)
	}
}
