package proxyheader

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/testkit/rawconn"
)

// accept listens on loopback through Listen and returns the listener and a
// channel of accepted connections.
func accept(t *testing.T, trusted []netip.Prefix) (net.Listener, chan net.Conn) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := Listen(raw, trusted, 5*time.Second)
	t.Cleanup(func() { ln.Close() })
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	return ln, conns
}

func TestTrustedSourcesCarryTheClientAddress(t *testing.T) {
	ln, conns := accept(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	client := &net.TCPAddr{IP: net.ParseIP("198.51.100.7"), Port: 40000}
	server := &net.TCPAddr{IP: net.ParseIP("203.0.113.1"), Port: 443}
	for _, v := range []Version{V1, V2} {
		var hdr bytes.Buffer
		if err := Write(&hdr, v, client, server); err != nil {
			t.Fatal(err)
		}
		if v == V1 && !strings.HasPrefix(hdr.String(), "PROXY TCP4 198.51.100.7 203.0.113.1 40000 443\r\n") {
			t.Fatalf("v1 header %q", hdr.String())
		}
		rawconn.DialWrite(t, ln.Addr().String(), append(hdr.Bytes(), "hello"...))
		c := <-conns
		if got := c.RemoteAddr().String(); got != "198.51.100.7:40000" {
			t.Fatalf("%s: RemoteAddr %s", v, got)
		}
		if _, ok := netx.TCPConn(c); !ok {
			t.Fatalf("%s: no TCP connection under %T", v, c)
		}
		b := make([]byte, 5)
		if _, err := io.ReadFull(c, b); err != nil || string(b) != "hello" {
			t.Fatalf("%s: read %q %v", v, b, err)
		}
		c.Close()
	}
	// A trusted source without a header is refused: its first read fails.
	rawconn.DialWrite(t, ln.Addr().String(), []byte("\x16\x03\x01\x02\x00\x01 no header"))
	c := <-conns
	if _, err := c.Read(make([]byte, 10)); err == nil {
		t.Fatal("a trusted source without a header was read")
	}
}

func TestUntrustedSourcesAreServedAsIs(t *testing.T) {
	ln, conns := accept(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	// A forged header from an untrusted prober is just bytes.
	forged := "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
	client := rawconn.DialWrite(t, ln.Addr().String(), []byte(forged))
	c := <-conns
	if _, ok := c.(*net.TCPConn); !ok || c.RemoteAddr().String() != client.LocalAddr().String() {
		t.Fatalf("%T from %s", c, c.RemoteAddr())
	}
	b := make([]byte, len(forged))
	if _, err := io.ReadFull(c, b); err != nil || string(b) != forged {
		t.Fatalf("read %q %v", b, err)
	}
	raw, _ := net.Listen("tcp", "127.0.0.1:0")
	defer raw.Close()
	if Listen(raw, nil, time.Second) != raw {
		t.Fatal("no trusted network, yet wrapped")
	}
}

func TestParseVersion(t *testing.T) {
	for s, want := range map[string]Version{"": Off, "off": Off, "v1": V1, "v2": V2} {
		if v, err := ParseVersion(s); err != nil || v != want || (s != "" && v.String() != s) {
			t.Errorf("%q: %v %v", s, v, err)
		}
	}
	if _, err := ParseVersion("2"); err == nil {
		t.Error("2 accepted")
	}
	var b bytes.Buffer
	if err := Write(&b, Off, nil, nil); err != nil || b.Len() != 0 {
		t.Errorf("Off wrote %q %v", b.String(), err)
	}
}
