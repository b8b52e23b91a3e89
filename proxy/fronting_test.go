package proxy_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// countingConn counts the bytes a prober wrote and read.
type countingConn struct {
	net.Conn
	in, out atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.Add(int64(n))
	return n, err
}

// A browser that reaches the proxy gets the real site: its certificate
// and its page. The fronting event counts exactly the bytes the browser
// wrote and read.
func TestFrontingShowsTheSite(t *testing.T) {
	f := newFixture(t, withFront)
	raw := f.connect()
	_ = raw.SetDeadline(time.Now().Add(eventWait))
	cc := &countingConn{Conn: raw}
	tc := tls.Client(cc, &tls.Config{ServerName: frontDomain, RootCAs: f.front.CertPool()})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake through the proxy: %v", err)
	}
	if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+frontDomain+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(tc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("HTTP through the proxy: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, f.front.Body()) || !tc.ConnectionState().PeerCertificates[0].Equal(f.front.Certificate()) {
		t.Fatalf("got page %q, not the site's page and certificate", body)
	}
	// Whatever the site sent after the page (its close), then our own
	// half-close ends the splice.
	rest := readToEnd(t, cc)
	_ = raw.CloseWrite()

	ev := f.rec.waitClosed(t, 1)
	want := proxy.FrontingEvent{Reason: proxy.HandshakeBadSecret, Result: proxy.FrontingDone,
		BytesIn: cc.out.Load(), BytesOut: cc.in.Load()}
	if len(ev.Fronting) != 1 || ev.Fronting[0] != want {
		t.Fatalf("fronting %+v, want [%+v] (%d bytes after the page)", ev.Fronting, want, len(rest))
	}
	// A browser's hello: fingerprinted like any other.
	hs := proxy.HandshakeEvent{Protocol: proxy.ProtoFakeTLS, Result: proxy.HandshakeBadSecret, Secret: -1}
	closed := proxy.CloseEvent{Protocol: proxy.ProtoFakeTLS, Secret: -1, BytesIn: want.BytesIn, BytesOut: want.BytesOut,
		Stage: proxy.StageHandshakeRead}
	if len(ev.Handshakes) == 1 && ev.Handshakes[0].JA4 != (faketls.JA4{}) {
		hs.JA4 = ev.Handshakes[0].JA4
	}
	if len(ev.Handshakes) != 1 || ev.Handshakes[0] != hs || len(ev.Closed) != 1 || ev.Closed[0] != closed {
		t.Fatalf("events %s", ev)
	}
	conns, err := f.front.WaitConns(bounded(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if ci := conns[0]; ci.SNI != frontDomain || ci.HandshakeErr != nil || len(ci.Requests) != 1 || ci.Requests[0] != "GET /" {
		t.Fatalf("the site saw %+v", ci)
	}
}

// rawSite is a fronting host that is not TLS: serve runs on each
// connection it accepts, and the connection is closed after.
func rawSite(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// The fronting bounds and failures, each with its exact event: an
// unreachable site, a site or prober that sends more than
// FrontingMaxBytes, and a splice idle for FrontingTimeout. FrontingAddr
// works without FakeTLS too: obfuscated2 failures are fronted to it.
func TestFrontingLimits(t *testing.T) {
	const maxBytes = 8 << 10
	big := bytes.Repeat([]byte("junk"), 16<<10) // 64 KiB
	cases := []struct {
		name string
		site func(t *testing.T) string
		// send is what the prober sends after its handshake bytes;
		// closeWrite half-closes after it.
		send       []byte
		closeWrite bool
		result     proxy.FrontingResult
		// in, out: the expected BytesIn and BytesOut; -1: what the
		// prober sent and got; -2: what the handshake's first reads took
		// (the header and up to its 512-byte buffer of what followed,
		// depending on how much had arrived).
		in, out int64
	}{
		{name: "site unreachable", site: closedPort, send: big, closeWrite: true,
			result: proxy.FrontingDialFailed, in: -2, out: 0},
		{name: "prober sends too much", site: func(t *testing.T) string {
			return rawSite(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		}, send: big, result: proxy.FrontingLimit, in: maxBytes, out: 0},
		{name: "site sends too much", site: func(t *testing.T) string {
			return rawSite(t, func(c net.Conn) { _, _ = c.Write(big); _, _ = io.Copy(io.Discard, c) })
		}, result: proxy.FrontingLimit, in: 64, out: maxBytes},
		{name: "idle splice", site: func(t *testing.T) string {
			return rawSite(t, func(c net.Conn) { _, _ = c.Write([]byte("hello")); _, _ = io.Copy(io.Discard, c) })
		}, result: proxy.FrontingLimit, in: 64, out: 5},
		{name: "site closes", site: func(t *testing.T) string {
			return rawSite(t, func(c net.Conn) {
				// Read what was replayed first: closing with unread bytes
				// would reset the connection and lose "bye".
				_, _ = io.ReadFull(c, make([]byte, 64))
				_, _ = c.Write([]byte("bye"))
			})
		}, closeWrite: true, result: proxy.FrontingDone, in: -1, out: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, with(func(o *proxy.Options) {
				o.FrontingAddr = tc.site(t)
				o.FrontingMaxBytes = maxBytes
				o.FrontingTimeout = time.Second
			}))
			h := newHandshake(t, f.clientOpts(client.Intermediate, -1, 2))
			c := f.connect()
			if _, err := c.Write(h.Header[:]); err != nil {
				t.Fatal(err)
			}
			written := make(chan int64, 1)
			go func() {
				n, _ := c.Write(tc.send) // cut short when the engine closes
				if tc.closeWrite {
					_ = c.CloseWrite()
				}
				written <- int64(n)
			}()
			got := readToEnd(t, c)
			_ = c.Close()
			sent := 64 + <-written
			ev := f.rec.waitClosed(t, 1)
			want := proxy.FrontingEvent{Reason: proxy.HandshakeBadSecret, Result: tc.result, BytesIn: tc.in, BytesOut: tc.out}
			switch tc.in {
			case -1:
				want.BytesIn = sent
			case -2:
				if len(ev.Fronting) == 1 {
					if in := ev.Fronting[0].BytesIn; in >= 64 && in <= 512 {
						want.BytesIn = in
					}
				}
			}
			if len(ev.Fronting) != 1 || ev.Fronting[0] != want {
				t.Fatalf("fronting %+v, want [%+v]", ev.Fronting, want)
			}
			if int64(len(got)) != want.BytesOut {
				t.Fatalf("the prober got %d bytes, the engine counted %d", len(got), want.BytesOut)
			}
			closed := proxy.CloseEvent{Secret: -1, BytesIn: want.BytesIn, BytesOut: want.BytesOut, Stage: proxy.StageHandshakeRead}
			if len(ev.Closed) != 1 || ev.Closed[0] != closed {
				t.Fatalf("close events %+v, want [%+v]", ev.Closed, closed)
			}
		})
	}
}
