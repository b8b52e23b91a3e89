package proxy

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
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

// nullStream is a cipher.Stream that leaves bytes as they are.
type nullStream struct{}

func (nullStream) XORKeyStream(dst, src []byte) { copy(dst, src) }

// startWait runs WaitReadable on its own goroutine; the caller then writes
// what should end it (or nothing, when bytes are already there) and takes
// its result with waited.
func startWait(c *ClientConn) chan error {
	done := make(chan error, 1)
	go func() { done <- c.WaitReadable() }()
	return done
}

// waited returns the wait's result; a wait that never ends fails the test
// (after a bound far above any loaded machine's delay).
func waited(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("WaitReadable did not return with bytes to read")
		return nil
	}
}

// Bytes that arrived before the wait started end it at once, whether the
// last Read emptied the socket or left bytes behind: the poller's readiness
// is reset when a wait starts, so a wait that trusted the poller alone
// would sleep until more bytes came.
func TestClientConnWaitAfterReads(t *testing.T) {
	a, b := tcpPair(t)
	c := &ClientConn{conn: b, traffic: &Traffic{}, dec: nullStream{}}
	buf := make([]byte, 10)
	for i, chunk := range []string{"x", "y", "0123456789abcdefghij"} {
		if _, err := a.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < len(chunk); {
			if err := waited(t, startWait(c)); err != nil {
				t.Fatalf("write %d: wait with bytes there: %v", i, err)
			}
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	}
	// A wait that starts with nothing there ends when bytes come.
	done := startWait(c)
	if _, err := a.Write([]byte("z")); err != nil {
		t.Fatal(err)
	}
	if err := waited(t, done); err != nil {
		t.Fatalf("wait before the bytes: %v", err)
	}
}
