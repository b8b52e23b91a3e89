package e2e

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/rawconn"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// siteSaw waits until the site has a connection matching pred (open or
// closed) and returns it.
func siteSaw(t testing.TB, f *tlsfront.Front, what string, pred func(tlsfront.ConnInfo) bool) tlsfront.ConnInfo {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		for _, ci := range siteConns(f) {
			if pred(ci) {
				return ci
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the site never saw %s; it saw %d connections", what, len(siteConns(f)))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readUntil reads c until want has arrived or c ends, within safety.
func readUntil(t testing.TB, c net.Conn, want string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(safety))
	defer c.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), want) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("read %q, then %v; want %q", got, err, want)
		}
	}
	return string(got)
}

// An HTTP request gets the real site's answer while the connection stays
// open, with HANDSHAKE_TIMEOUT at an hour: the proxy fronts it as soon as
// its first bytes show it is no client, not at a timeout.
func TestHTTPProbeGetsTheSite(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		useFront(env, front)
		env["HANDSHAKE_TIMEOUT"] = "1h"
	})
	for i, req := range []string{
		"GET / HTTP/1.1\r\nHost: " + frontDomain + "\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: " + frontDomain + "\r\n\r\n",
		"POST /login HTTP/1.1\r\nHost: " + frontDomain + "\r\nContent-Length: 0\r\n\r\n",
	} {
		c, err := net.Dial("tcp", r.p.addr())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		answer := readUntil(t, c, "</html>")
		c.Close()
		if !strings.HasPrefix(answer, "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n") {
			t.Fatalf("%q got %q, want the site's answer", req, answer)
		}
		ci := frontConn(t, front, i)
		if !ci.Plain || !bytes.Equal(ci.FirstBytes, []byte(req)) {
			t.Fatalf("the site saw %q", ci.FirstBytes)
		}
	}
	waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("bad_secret", "done"), 3)
}

// A ClientHello cut short is handed to the site at HANDSHAKE_TIMEOUT with
// the bytes that came, not closed: the prober then talks to the real site,
// which answers the rest of the hello with its own ServerHello.
func TestTruncatedHelloReachesTheSiteAtTheTimeout(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		useFront(env, front)
		env["HANDSHAKE_TIMEOUT"] = "1s"
	})
	h, err := client.NewHandshake(opts(t, client.FakeTLS, unknownHex, 2))
	if err != nil {
		t.Fatal(err)
	}
	c := rawconn.DialWrite(t, r.p.addr(), h.Hello[:100])
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("faketls", "timeout"), 1)
	siteSaw(t, front, "the first 100 bytes of the hello", func(ci tlsfront.ConnInfo) bool {
		return bytes.Equal(ci.FirstBytes, h.Hello[:100])
	})
	if _, err := c.Write(h.Hello[100:]); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(safety))
	rec := make([]byte, faketls.RecordHeaderLen)
	if _, err := io.ReadFull(c, rec); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(rec[3])<<8|int(rec[4]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	if _, err := faketls.ParseServerHello(append(rec, body...)); err != nil {
		t.Fatalf("the prober got no ServerHello from the site: %v", err)
	}
}

// A fronted prober trickling a byte now and then is closed when
// FRONTING_LIFETIME is up, however active it keeps the splice.
func TestTricklingProberClosedAtTheLifetime(t *testing.T) {
	site := rawSite(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // reads, never answers
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		env["FRONTING_ADDR"] = site
		env["FRONTING_LIFETIME"] = "2s"
	})
	c, err := net.Dial("tcp", r.p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("X")); err != nil {
					return
				}
			}
		}
	}()
	closedWithoutAnswer(t, c)
	waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("bad_secret", "limit"), 1)
}

// rawSite is a TCP site running serve on each connection.
func rawSite(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); serve(c) }()
		}
	}()
	return ln.Addr().String()
}

// A scan of a thousand bad handshakes, all fronted, looks the fronting
// host up a handful of times, not a thousand.
func TestScanIsNoDNSFlood(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	_, port, _ := net.SplitHostPort(front.Addr())
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		env["TLS_DOMAIN"] = frontDomain
		env["FRONTING_ADDR"] = "localhost:" + port // a name, resolved through the cache
	})
	const probes, workers = 1000, 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range probes / workers {
				if err := probeHTTP(r.p.addr()); err != nil {
					errs <- err
					return
				}
			}
			_ = w
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := probes / workers * workers
	waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("bad_secret", "done"), float64(n))
	lookups := 0.0
	for _, res := range []string{"ok", "failed", "self"} {
		v, _ := metric(t, r.p, "mtproxy_fronting_dns_lookups_total", map[string]string{"result": res})
		lookups += v
	}
	if lookups < 1 || lookups > 5 {
		t.Fatalf("%v look-ups of the fronting host for %d fronted probes, want a handful", lookups, n)
	}
}

// probeHTTP sends an HTTP request and reads the answer to its end.
func probeHTTP(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(safety))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 400")) {
		return errors.New("no answer from the site: " + string(b))
	}
	return nil
}

// A hello for another server name gets what UNKNOWN_SNI says: with
// reject, the unrecognized_name alert a server refusing the name sends.
func TestUnknownSNIRejected(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		useFront(env, front)
		env["UNKNOWN_SNI"] = "reject"
	})
	c, err := tls.Dial("tcp", r.p.addr(), &tls.Config{ServerName: "other.example", InsecureSkipVerify: true})
	if err == nil {
		c.Close()
		t.Fatal("a handshake for another name succeeded")
	}
	if !strings.Contains(err.Error(), "unrecognized name") {
		t.Fatalf("want the unrecognized_name alert, got %v", err)
	}
	waitCount(t, r.p, "mtproxy_fronting_connections_total", fronting("bad_sni", "alert"), 1)
	if n := len(siteConns(front)); n != 0 {
		t.Fatalf("%d connections reached the site", n)
	}
	// The configured name still reaches the site.
	st, _ := browse(t, r.p.addr(), &tls.Config{ServerName: frontDomain, RootCAs: front.CertPool()})
	if !st.PeerCertificates[0].Equal(front.Certificate()) {
		t.Fatal("not the site's certificate")
	}
}

// Sockets held open without a secret cannot take a real client's place:
// with MAX_CONNECTIONS of them held open, unauthenticated, a real Telethon
// client still gets through (one of the oldest held sockets makes room)
// and reaches the DC.
func TestHeldSocketsDoNotStarveTelethon(t *testing.T) {
	needTelethon(t)
	const limit = 10
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		env["MAX_CONNECTIONS"] = "10"
		env["MAX_UNAUTH_CONNECTIONS"] = "10"
		env["MAX_UNAUTH_PER_IP"] = "10"
		env["HANDSHAKE_TIMEOUT"] = "1h" // the held sockets stay until evicted
	})
	held := make([]net.Conn, limit)
	for i := range held {
		c, err := net.Dial("tcp", r.p.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Ten bytes of a header that never comes whole.
		if _, err := c.Write([]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, byte(i)}); err != nil {
			t.Fatal(err)
		}
		held[i] = c
	}
	waitCount(t, r.p, "mtproxy_unauth_connections", nil, limit)

	ctx := bounded(t)
	exited := startTelethon(t, ctx, r.p.env["PORT"], "dd"+secret1Hex, "randomized")
	got := make(chan error, 1)
	go func() {
		_, err := r.dc.WaitFor(ctx, func(ci fakedc.ConnInfo) bool { return ci.ReqDH != nil })
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Telethon never reached the DC: %v", err)
		}
	case err := <-exited:
		t.Fatalf("Telethon ended (%v) before reaching the DC", err)
	}
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("padded", "ok"), 1)
	// One held socket (all come from one address: the per-source limit
	// is reached first) made room, closed without a byte.
	waitCount(t, r.p, "mtproxy_unauth_evictions_total", map[string]string{"reason": "per_ip"}, 1)
	closed := make(chan int, limit)
	for i, c := range held {
		go func() {
			c.SetReadDeadline(time.Now().Add(safety))
			if n, _ := c.Read(make([]byte, 1)); n == 0 {
				closed <- i
			}
		}()
	}
	select {
	case <-closed:
	case <-time.After(safety):
		t.Fatal("no held socket was closed")
	}
}

// The FakeTLS server flight has the shape of the site's answer to the
// same hello: a ServerHello of the same size and extension order, and as
// many encrypted bytes on the wire within the noise (±2), across 50
// handshakes of clients that all accept it.
func TestFlightMatchesTheSite(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) { useFront(env, front) })
	// The site's first connection is the proxy's recording of its answer.
	probe := front.Conns()[0]
	site := splitRecords(t, probe.Written)
	siteHello, err := faketls.ParseServerHello(site[0])
	if err != nil {
		t.Fatal(err)
	}
	siteEnc := 0
	for _, rec := range site[2:] {
		siteEnc += len(rec)
	}
	for i := range 50 {
		c := dial(t, r.p.addr(), opts(t, client.FakeTLS, secret1Hex, 2))
		ours := splitRecords(t, c.Handshake().Flight)
		if len(ours) != 3 || len(ours[0]) != len(site[0]) || !bytes.Equal(ours[1], site[1]) {
			t.Fatalf("handshake %d: records of %d, %d bytes; the site's ServerHello is %d bytes", i, len(ours[0]), len(ours[1]), len(site[0]))
		}
		hello, err := faketls.ParseServerHello(ours[0])
		if err != nil {
			t.Fatal(err)
		}
		if hello.CipherSuite != siteHello.CipherSuite || hello.Group != siteHello.Group || hello.KeyShareLen != siteHello.KeyShareLen ||
			len(hello.Extensions) != len(siteHello.Extensions) {
			t.Fatalf("ServerHello %+v, the site's %+v", hello, siteHello)
		}
		for j, e := range siteHello.Extensions {
			if hello.Extensions[j].Type != e.Type {
				t.Fatalf("extension %d is %#04x, the site's %#04x", j, hello.Extensions[j].Type, e.Type)
			}
		}
		if d := len(ours[2]) - siteEnc; d < -2 || d > 2 {
			t.Fatalf("handshake %d: %d encrypted bytes, the site sends %d", i, len(ours[2]), siteEnc)
		}
		if i%10 == 0 {
			reqPQ(t, c)
		}
		c.Close()
	}
}

// splitRecords splits a server flight into its records, headers included.
func splitRecords(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) >= faketls.RecordHeaderLen {
		n := faketls.RecordHeaderLen + (int(b[3])<<8 | int(b[4]))
		if n > len(b) {
			break
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	if len(out) < 3 {
		t.Fatalf("a flight of %d records", len(out))
	}
	return out
}
