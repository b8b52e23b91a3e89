package e2e

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// sendAndClose connects to addr, sends payload, half-closes and returns
// everything that comes back until the peer closes.
func sendAndClose(t testing.TB, addr string, payload []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(safety))
	if _, err := c.Write(payload); err != nil {
		t.Fatalf("probe write: %v", err)
	}
	c.(*net.TCPConn).CloseWrite()
	reply, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("probe read: %v", err)
	}
	return reply
}

// frontConn waits until the fronting site has seen its i-th connection
// (from 0, after the proxy's profile probe: see siteConns) and that
// connection has ended, and returns it.
func frontConn(t testing.TB, f *tlsfront.Front, i int) tlsfront.ConnInfo {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		if cs := siteConns(f); len(cs) > i && cs[i].Closed {
			return cs[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fronting site did not see connection %d end; it has %+v", i, f.Conns())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sawExactly checks the fronting site read exactly want on connection ci:
// the proxy replayed what it had consumed and spliced the rest, unchanged.
func sawExactly(t testing.TB, ci tlsfront.ConnInfo, want []byte) {
	t.Helper()
	if !bytes.Equal(ci.FirstBytes, want) {
		n := min(len(ci.FirstBytes), len(want))
		at := 0
		for at < n && ci.FirstBytes[at] == want[at] {
			at++
		}
		t.Fatalf("the site read %d bytes, want the %d the prober sent; first difference at %d", len(ci.FirstBytes), len(want), at)
	}
}

// silent checks nothing arrives on c for a moment: the proxy, having
// already decided (see the metric the callers wait for), keeps quiet.
func silent(t testing.TB, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	defer c.SetReadDeadline(time.Time{})
	var b [1]byte
	n, err := c.Read(b[:])
	if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the proxy answered an unknown client: %d bytes, %v", n, err)
	}
}

// closedWithoutAnswer checks c ends (EOF or reset) without a byte.
func closedWithoutAnswer(t testing.TB, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(safety))
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("waiting for the proxy to close: %v", err)
	}
	if len(got) > 0 {
		t.Fatalf("the proxy answered %d bytes before closing", len(got))
	}
}

// sawStart checks the fronting site read at least the first n bytes of
// sent and nothing but a prefix of it: a site that stops reading at the
// first bad record need not read everything a non-TLS prober sent.
func sawStart(t testing.TB, ci tlsfront.ConnInfo, sent []byte, n int) {
	t.Helper()
	if len(ci.FirstBytes) < n || !bytes.HasPrefix(sent, ci.FirstBytes) {
		t.Fatalf("the site read %d bytes, want a prefix of the %d sent, at least %d long", len(ci.FirstBytes), len(sent), n)
	}
}
