package proxy

import (
	"errors"
	"io"
	"net"
	"testing"
)

// WaitReadable returns once the client's bytes are there, and leaves them
// to be read; at the end of the stream it returns too, and the Read that
// follows reports the end.
func TestClientConnWaitReadable(t *testing.T) {
	a, b := tcpPair(t)
	c := &ClientConn{conn: b}
	done := make(chan error, 1)
	go func() { done <- c.WaitReadable() }()
	if _, err := a.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("wait with a byte there: %v", err)
	}
	var got [1]byte
	if n, err := b.Read(got[:]); n != 1 || got[0] != 'x' || err != nil {
		t.Fatalf("after the wait, read %q, %v: the wait consumed the byte", got[:n], err)
	}
	go func() { done <- c.WaitReadable() }()
	if err := a.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("wait at the end of the stream: %v", err)
	}
	if _, err := b.Read(got[:]); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the end: %v, want EOF", err)
	}
}

// A wait on a socket allocates nothing once the connection's RawConn is
// known; a connection with neither a socket nor a wait of its own says it
// cannot wait.
func TestClientConnWaitReadableCost(t *testing.T) {
	a, b := tcpPair(t)
	c := &ClientConn{conn: b}
	if _, err := a.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReadable(); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.WaitReadable() }); n != 0 {
		t.Fatalf("%v allocations per wait, want 0", n)
	}
	type plain struct{ net.Conn } // no SyscallConn
	if err := (&ClientConn{conn: plain{b}}).WaitReadable(); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("a conn that cannot wait: %v, want errors.ErrUnsupported", err)
	}
}
