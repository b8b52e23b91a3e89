// Package rawconn opens plain TCP connections for tests that send bytes by
// hand (part of a handshake, a probe, a PROXY protocol header) and then
// watch what the server does with them.
package rawconn

import (
	"net"
	"testing"
)

// DialWrite connects to addr and sends b; the connection is closed when
// the test ends. A failed dial or write fails the test.
func DialWrite(t testing.TB, addr string, b []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	return c
}
