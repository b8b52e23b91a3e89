//go:build linux

package proxy

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// keepAliveOf reads a socket's keepalive options: on/off, idle, interval
// (seconds) and probe count.
func keepAliveOf(t *testing.T, c *net.TCPConn) (on, idle, intvl, cnt int) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Control(func(fd uintptr) {
		on, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		idle, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		intvl, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL)
		cnt, _ = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT)
	})
	return on, idle, intvl, cnt
}

// accepted returns the server side of a connection to ln.
func accepted(t *testing.T, ln net.Listener) *net.TCPConn {
	t.Helper()
	// The kernel completes the connection into the backlog: Dial returns
	// before Accept is called.
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// The keepalive set on the listening socket is what accepted clients get,
// as setKeepAlive gives a client from any other listener: Options.KeepAlive
// in whole seconds rounded up, four probes; off when negative.
func TestKeepAliveFromTheListener(t *testing.T) {
	for _, c := range []struct {
		ka   time.Duration
		on   int
		secs int
	}{{77 * time.Second, 1, 77}, {1500 * time.Millisecond, 1, 2}, {-1, 0, 0}} {
		p := &Proxy{o: Options{KeepAlive: c.ka}}
		ln, err := (&net.ListenConfig{KeepAlive: -1}).Listen(t.Context(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if !p.listenerKeepAlive(ln) {
			t.Fatal("a TCP listener did not take the keepalive")
		}
		on, idle, intvl, cnt := keepAliveOf(t, accepted(t, ln))
		if on != c.on || (c.on == 1 && (idle != c.secs || intvl != c.secs || cnt != keepAliveCount)) {
			t.Errorf("KeepAlive %v: accepted socket has on %d idle %d interval %d count %d", c.ka, on, idle, intvl, cnt)
		}
		// The same figures as a client given them one by one.
		ln2, err := (&net.ListenConfig{KeepAlive: -1}).Listen(t.Context(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		one := accepted(t, ln2)
		p.setKeepAlive(one)
		on2, idle2, intvl2, cnt2 := keepAliveOf(t, one)
		if on2 != on || (on == 1 && (idle2 != idle || intvl2 != intvl || cnt2 != cnt)) {
			t.Errorf("KeepAlive %v: listener gives %d %d %d %d, setKeepAlive %d %d %d %d", c.ka, on, idle, intvl, cnt, on2, idle2, intvl2, cnt2)
		}
		ln.Close()
		ln2.Close()
	}
}
