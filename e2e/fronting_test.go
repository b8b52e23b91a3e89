package e2e

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// fronting returns the label set of mtproxy_fronting_connections_total.
func fronting(reason, result string) map[string]string {
	return map[string]string{"reason": reason, "result": result}
}

// browse connects through the proxy as a browser would (crypto/tls with
// cfg), fetches / and returns the certificate and the page.
func browse(t *testing.T, addr string, cfg *tls.Config) (*tls.ConnectionState, []byte) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, safety)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(safety))
	tc := tls.Client(raw, cfg)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS handshake through the proxy: %v", err)
	}
	if _, err := io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+frontDomain+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatalf("HTTP through the proxy: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	st := tc.ConnectionState()
	return &st, body
}

// With FakeTLS and a fronting host, every prober the proxy cannot
// authenticate sees the real site: a browser completes a TLS handshake
// with the site's certificate and gets its page; forged, stale and
// replayed hellos reach the site byte for byte; in TLS-only mode so do
// obfuscated2 headers and plain HTTP, as far as the site reads them.
// Genuine FakeTLS clients still work.
func TestFrontingShowsTheRealSite(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		useFront(env, front)
		env["TLS_ONLY"] = "true"
	})
	addr := r.p.addr()
	next := 0                      // index of the next connection the site will see
	counts := map[string]float64{} // FakeTLS handshake results so far
	counted := func(result string) {
		t.Helper()
		counts[result]++
		waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("faketls", result), counts[result])
	}
	nextFront := func() tlsfront.ConnInfo {
		t.Helper()
		ci := frontConn(t, front, next)
		next++
		return ci
	}

	t.Run("browser with the domain", func(t *testing.T) {
		st, body := browse(t, addr, &tls.Config{ServerName: frontDomain, RootCAs: front.CertPool()})
		if !st.PeerCertificates[0].Equal(front.Certificate()) {
			t.Fatal("the certificate is not the site's")
		}
		if !bytes.Equal(body, front.Body()) {
			t.Fatalf("page %q, want the site's", body)
		}
		ci := nextFront()
		if ci.SNI != frontDomain || ci.HandshakeErr != nil || len(ci.Requests) != 1 {
			t.Fatalf("the site saw %+v", ci)
		}
		counted("bad_secret")
		waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("bad_secret", "done"), 1)
	})

	t.Run("browser with an unknown SNI", func(t *testing.T) {
		cfg := &tls.Config{ServerName: "unknown.example", InsecureSkipVerify: true}
		st, body := browse(t, addr, cfg)
		if !st.PeerCertificates[0].Equal(front.Certificate()) || !bytes.Equal(body, front.Body()) {
			t.Fatal("not the site's certificate and page")
		}
		if ci := nextFront(); ci.SNI != "unknown.example" {
			t.Fatalf("the site saw SNI %q", ci.SNI)
		}
		// Another server name is told before the digest (UNKNOWN_SNI
		// applies to any hello for it): fronted by default.
		counted("bad_sni")
	})

	// Hellos built with the secret but wrong in one respect: the proxy
	// must not answer with its flight (the client would accept it), and
	// the site must get the hello exactly as sent.
	forged := []struct {
		name, result string
		edit         func(*client.Options)
	}{
		{"valid digest, unknown SNI", "bad_sni", func(o *client.Options) { o.Domain = "unknown.example" }},
		{"valid digest, no SNI", "bad_sni", func(o *client.Options) { o.Domain = "" }},
		{"stale timestamp", "stale_timestamp", func(o *client.Options) { o.Timestamp = time.Now().Add(-10 * time.Minute) }},
		{"timestamp from the future", "stale_timestamp", func(o *client.Options) { o.Timestamp = time.Now().Add(10 * time.Minute) }},
		{"unknown secret", "bad_secret", func(o *client.Options) { o.Secret = key(t, unknownHex) }},
	}
	for _, f := range forged {
		t.Run(f.name, func(t *testing.T) {
			o := opts(t, client.FakeTLS, secret1Hex, 2)
			f.edit(&o)
			h, err := client.NewHandshake(o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := client.DialHandshake(bounded(t), addr, h, o); !errors.Is(err, client.ErrServerFlight) {
				t.Fatalf("want the site's answer (%v), got %v", client.ErrServerFlight, err)
			}
			sawExactly(t, nextFront(), h.Hello)
			counted(f.result)
		})
	}

	t.Run("replayed hello", func(t *testing.T) {
		o := opts(t, client.FakeTLS, secret1Hex, 2)
		h, err := client.NewHandshake(o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.DialHandshake(bounded(t), addr, h, o)
		if err != nil {
			t.Fatalf("first use: %v", err)
		}
		defer c.Close()
		reqPQ(t, c)
		counted("ok")
		// The same hello again: its flight would verify if the proxy
		// answered it.
		if _, err := client.DialHandshake(bounded(t), addr, h, o); !errors.Is(err, client.ErrServerFlight) {
			t.Fatalf("replay: want the site's answer, got %v", err)
		}
		sawExactly(t, nextFront(), h.Hello)
		counted("replay")
	})

	t.Run("obfuscated2 header in TLS-only mode", func(t *testing.T) {
		h, err := client.NewHandshake(opts(t, client.Abridged, secret1Hex, 2))
		if err != nil {
			t.Fatal(err)
		}
		sendAndClose(t, addr, h.Header[:])
		// The proxy read a record header's worth before deciding; the
		// site may stop at it.
		sawStart(t, nextFront(), h.Header[:], 5)
		waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("not_tls", "done"), 1)
	})

	t.Run("plain HTTP in TLS-only mode", func(t *testing.T) {
		req := []byte("GET / HTTP/1.1\r\nHost: " + frontDomain + "\r\n\r\n")
		sendAndClose(t, addr, req)
		sawStart(t, nextFront(), req, 5)
		waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("not_tls", "done"), 2)
	})

	t.Run("genuine FakeTLS client", func(t *testing.T) {
		c := dial(t, addr, opts(t, client.FakeTLS, secret1Hex, 2))
		reqPQ(t, c)
		echo(t, c, 256, false)
		counted("ok")
	})

	if n := r.headerConns(); n != 2 {
		t.Fatalf("the DC got %d connections, want the 2 genuine ones", n)
	}
}

// Without a fronting host (no TLS_DOMAIN) a client the proxy does not
// know gets no byte back: the connection is held open and read, and
// closed when the client leaves or has sent the drain bound (16 MiB).
func TestUnknownClientsDrained(t *testing.T) {
	r := startRig(t, fakedc.Options{}, nil)
	open := func() net.Conn {
		c, err := net.Dial("tcp", r.p.addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	unknown, err := client.NewHandshake(opts(t, client.Abridged, unknownHex, 2))
	if err != nil {
		t.Fatal(err)
	}
	hello, err := client.NewHandshake(opts(t, client.FakeTLS, secret1Hex, 2))
	if err != nil {
		t.Fatal(err)
	}

	for i, payload := range [][]byte{unknown.Header[:], hello.Hello} {
		c := open()
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("unknown", "bad_secret"), float64(i+1))
		silent(t, c)
		if _, err := c.Write(bytes.Repeat([]byte("more"), 1000)); err != nil {
			t.Fatalf("the held connection refused more bytes: %v", err)
		}
		silent(t, c)
		c.(*net.TCPConn).CloseWrite()
		closedWithoutAnswer(t, c)
		waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("bad_secret", "drained"), float64(i+1))
	}

	c := open()
	go func() {
		junk := make([]byte, 1<<20)
		for range 20 {
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	}()
	closedWithoutAnswer(t, c)
	waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("bad_secret", "limit"), 1)
	if n := r.headerConns(); n != 0 {
		t.Fatalf("the DC got %d connections", n)
	}
}
