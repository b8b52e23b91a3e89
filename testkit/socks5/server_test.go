package socks5

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/proxy"
)

// startEcho runs a TCP echo server that half-closes after its input ends.
func startEcho(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
				_ = c.(*net.TCPConn).CloseWrite()
			})
		}
	})
	return ln.Addr().String()
}

func TestConnectWithXNetProxy(t *testing.T) {
	s := Start(t, startEcho(t))
	d, err := proxy.SOCKS5("tcp", s.Addr(), nil, proxy.Direct)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr     string
		addrType byte
		host     string
		port     uint16
	}{
		{"149.154.167.51:443", AddrIPv4, "149.154.167.51", 443},
		{"[2001:67c:4e8:f002::a]:443", AddrIPv6, "2001:67c:4e8:f002::a", 443},
		{"dc5.telegram.example:8443", AddrDomain, "dc5.telegram.example", 8443},
	}
	for i, c := range cases {
		conn, err := d.Dial("tcp", c.addr)
		if err != nil {
			t.Fatalf("%s: %v", c.addr, err)
		}
		msg := []byte("hello through socks " + c.addr)
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(conn, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%s: echo %q %v", c.addr, got, err)
		}
		conn.Close()
		r := s.Requests()[i]
		if r.Err != nil || r.Request.AddrType != c.addrType || r.Request.Host != c.host ||
			r.Request.Port != c.port || r.Request.Cmd != CmdConnect || r.Request.Addr() != c.addr && c.addrType != AddrIPv6 {
			t.Fatalf("%s: recorded %+v", c.addr, r)
		}
	}
}

// handshake negotiates no-auth on a raw connection and sends req.
func handshake(t *testing.T, addr string, req []byte) (net.Conn, []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(append([]byte{5, 2, 0x02, 0x00}, req...)); err != nil {
		t.Fatal(err)
	}
	var method [2]byte
	if _, err := io.ReadFull(c, method[:]); err != nil || method != [2]byte{5, 0} {
		t.Fatalf("method reply %x %v", method, err)
	}
	rep := make([]byte, 10)
	if _, err := io.ReadFull(c, rep); err != nil {
		t.Fatalf("reply: %v", err)
	}
	return c, rep
}

func TestRawProtocol(t *testing.T) {
	s := Start(t, startEcho(t))
	// CONNECT 10.0.0.1:80, the reply binds an IPv4 loopback address.
	c, rep := handshake(t, s.Addr(), []byte{5, 1, 0, 1, 10, 0, 0, 1, 0, 80})
	if rep[0] != 5 || rep[1] != ReplySucceeded || rep[3] != AddrIPv4 || !bytes.Equal(rep[4:8], []byte{127, 0, 0, 1}) {
		t.Fatalf("reply %x", rep)
	}
	// Half-close passes through: the echo server sees EOF and closes.
	if _, err := c.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "half" {
		t.Fatalf("after half-close: %q %v", got, err)
	}

	_, rep = handshake(t, s.Addr(), []byte{5, CmdBind, 0, 1, 10, 0, 0, 1, 0, 80})
	if rep[1] != ReplyCommandUnsupported {
		t.Fatalf("BIND reply %x", rep)
	}
	c, _ = net.Dial("tcp", s.Addr())
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = c.Write([]byte{5, 1, 0, 5, 1, 0, 9})
	rep = make([]byte, 12)
	if n, _ := io.ReadFull(c, rep); n != 12 || rep[3] != ReplyAddressUnsupported {
		t.Fatalf("address type 9: %x", rep[:n])
	}
	recs := s.Requests()
	if len(recs) != 3 || !errors.Is(recs[1].Err, ErrCommand) || !errors.Is(recs[2].Err, ErrAddressType) {
		t.Fatalf("records %+v", recs)
	}
}

func TestRefusals(t *testing.T) {
	s := Start(t, startEcho(t))
	exchange := func(in []byte) []byte {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write(in)
		out, _ := io.ReadAll(c)
		return out
	}
	if out := exchange([]byte{5, 1, 0x02}); !bytes.Equal(out, []byte{5, 0xff}) {
		t.Fatalf("username/password only: %x", out)
	}
	if out := exchange([]byte{4, 1, 0, 80, 1, 2, 3, 4, 0}); len(out) != 0 {
		t.Fatalf("SOCKS4: %x", out)
	}
	// A target that refuses: reply 0x05.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	s2 := Start(t, dead)
	_, rep := handshake(t, s2.Addr(), []byte{5, 1, 0, 1, 1, 2, 3, 4, 1, 187})
	if rep[1] != ReplyConnectionRefused {
		t.Fatalf("refused target: %x", rep)
	}
	if r := s2.Requests(); len(r) != 1 || r[0].Err == nil || r[0].Request.Port != 443 {
		t.Fatalf("%+v", r)
	}
}

func TestBulkAndClose(t *testing.T) {
	s := Start(t, startEcho(t))
	c, _ := handshake(t, s.Addr(), []byte{5, 1, 0, 3, 4, 't', 'e', 's', 't', 1, 187})
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	data := make([]byte, 16<<20)
	rand.Read(data)
	errc := make(chan error, 1)
	go func() { _, err := c.Write(data); errc <- err }()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("16 MiB echo: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// Close ends spliced connections.
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs with an open splice")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection open after Close")
	}
}
