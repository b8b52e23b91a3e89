package netx

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestAddrPort(t *testing.T) {
	for _, c := range []struct {
		a    net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("1.2.3.4"), Port: 443}, "1.2.3.4:443"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:1.2.3.4"), Port: 443}, "1.2.3.4:443"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 80}, "[2001:db8::1]:80"},
		{&net.UDPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 53}, "10.0.0.1:53"},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, "invalid AddrPort"},
		{nil, "invalid AddrPort"},
	} {
		if got := AddrPort(c.a).String(); got != c.want {
			t.Errorf("AddrPort(%v) = %s, want %s", c.a, got, c.want)
		}
	}
	if AddrPort(nil) != (netip.AddrPort{}) {
		t.Error("AddrPort(nil) is not the zero AddrPort")
	}
}

func TestCloseWrite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	defer s.Close()
	if err := CloseWrite(c); err != nil {
		t.Fatal(err)
	}
	_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer read %v after the half-close, want EOF", err)
	}
	// The half-closed side still receives.
	if _, err := s.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatalf("read after the half-close: %v", err)
	}

	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if err := CloseWrite(p1); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("CloseWrite of a pipe: %v, want ErrUnsupported", err)
	}
}

// wrapped stands for a PROXY-protocol connection: a net.Conn exposing the
// TCP connection it wraps.
type wrapped struct{ net.Conn }

func (w wrapped) TCPConn() (*net.TCPConn, bool) { tc, ok := w.Conn.(*net.TCPConn); return tc, ok }

func TestTCPConnUnwraps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if tc, ok := TCPConn(wrapped{s}); !ok || tc != s {
		t.Fatal("the wrapped TCP connection was not found")
	}
	if err := CloseWrite(wrapped{s}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after a half-close through the wrapper: %d %v", n, err)
	}
	if _, ok := TCPConn(struct{ net.Conn }{s}); ok {
		t.Fatal("an opaque wrapper unwrapped")
	}
}
