package status

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/metrics"
	"github.com/mtproxy/mtproxy/proxy/dc"
)

// serve runs a Server for src on a loopback listener of network ("tcp4" or
// "tcp6") and returns its base URL; it is shut down when the test ends.
func serve(t *testing.T, network string, s *Server) string {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// fetch sends a request and returns the status, the Content-Type and the
// body.
func fetch(t *testing.T, method, url string, hdr ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// prober is a metrics.ProberSource double.
type prober struct {
	mu     sync.Mutex
	health map[int]dcprobe.Health
}

func (p *prober) Snapshot() map[int]dcprobe.Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.health
}

func TestRoutes(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "1.2.3"})
	base := serve(t, "tcp4", New(m, Options{}))

	code, ctype, body := fetch(t, http.MethodGet, base+"/healthz")
	if code != http.StatusOK || body != "ok\n" || ctype != "text/plain; charset=utf-8" {
		t.Errorf("/healthz: %d %q %q", code, ctype, body)
	}
	code, ctype, body = fetch(t, http.MethodGet, base+"/stats")
	if code != http.StatusOK || ctype != "text/plain" || !strings.HasPrefix(body, "pid\t") ||
		!strings.Contains(body, "\nversion\tmtproxy-go-1.2.3 ") {
		t.Errorf("/stats: %d %q\n%.200s", code, ctype, body)
	}
	code, ctype, body = fetch(t, http.MethodGet, base+"/metrics")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/plain") || !strings.Contains(body, `mtproxy_build_info{`) {
		t.Errorf("/metrics: %d %q", code, ctype)
	}
	code, ctype, body = fetch(t, http.MethodGet, base+"/metrics", "Accept", "application/openmetrics-text; version=1.0.0")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "application/openmetrics-text") || !strings.HasSuffix(body, "# EOF\n") {
		t.Errorf("/metrics as OpenMetrics: %d %q", code, ctype)
	}
	// Another method, another path: the same bare 404 as a refused peer.
	for _, req := range [][2]string{{http.MethodPost, "/healthz"}, {http.MethodGet, "/nothing"}} {
		if code, ctype, body := fetch(t, req[0], base+req[1]); code != http.StatusNotFound || ctype != "" || body != "" {
			t.Errorf("%s %s: %d %q %q, want a bare 404", req[0], req[1], code, ctype, body)
		}
	}
}

func TestAllowLists(t *testing.T) {
	m := metrics.New(metrics.Options{})
	elsewhere := New(m, Options{
		StatsAllow:   []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		MetricsAllow: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("fc00::/7")},
	})
	base := serve(t, "tcp4", elsewhere)
	// A stranger gets a bare 404 on every route, the probes included
	// (they follow METRICS_ALLOW), exactly as on a path that does not
	// exist: nothing names the software, and /readyz's reasons (which
	// name Telegram) stay hidden. They answered 200/503 with text.
	for _, path := range []string{"/stats", "/metrics", "/healthz", "/readyz", "/nothing"} {
		if code, ctype, body := fetch(t, http.MethodGet, base+path); code != http.StatusNotFound || ctype != "" || body != "" {
			t.Errorf("%s from 127.0.0.1 outside the lists: %d %q %q, want a bare 404", path, code, ctype, body)
		}
	}
	// HEALTH_ALLOW opens the probes alone.
	probes := New(m, Options{
		StatsAllow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, MetricsAllow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		HealthAllow: LoopbackPrefixes(),
	})
	pbase := serve(t, "tcp4", probes)
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable, "/metrics": http.StatusNotFound} {
		if code, _, _ := fetch(t, http.MethodGet, pbase+path); code != want {
			t.Errorf("%s with HEALTH_ALLOW loopback: %d, want %d", path, code, want)
		}
	}

	// An IPv4-mapped prefix admits the IPv4 peer; the defaults admit ::1.
	mapped := New(m, Options{StatsAllow: []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}})
	if code, _, _ := fetch(t, http.MethodGet, serve(t, "tcp4", mapped)+"/stats"); code != http.StatusOK {
		t.Errorf("/stats with a mapped loopback prefix: %d", code)
	}
	base6 := serve(t, "tcp6", New(m, Options{}))
	for _, path := range []string{"/stats", "/metrics"} {
		if code, _, _ := fetch(t, http.MethodGet, base6+path); code != http.StatusOK {
			t.Errorf("%s from ::1 with the defaults: %d", path, code)
		}
	}
}

func TestReadyz(t *testing.T) {
	var listening atomic.Bool
	m := metrics.New(metrics.Options{})
	m.SetListening(listening.Load)
	base := serve(t, "tcp4", New(m, Options{}))

	code, _, body := fetch(t, http.MethodGet, base+"/readyz")
	if code != http.StatusServiceUnavailable ||
		body != "client listener: not accepting connections\ntelegram: the DC prober is not running\n" {
		t.Errorf("/readyz before start: %d %q", code, body)
	}
	p := &prober{health: map[int]dcprobe.Health{2: {Up: false, Reason: dcprobe.Outcome{
		Addr: netip.MustParseAddrPort("127.0.0.1:4002"), Result: dc.NotMTProto, Answer: dcprobe.AnswerHTTP}}}}
	m.SetProber(p)
	listening.Store(true)
	if code, _, body := fetch(t, http.MethodGet, base+"/readyz"); code != http.StatusServiceUnavailable ||
		body != "telegram: none of the 1 probed DCs answers: dc 2 not_mtproto: TCP connects but the peer is not Telegram: it answered HTTP (interceptor or captive portal)\n" {
		t.Errorf("/readyz with DC 2 down: %d %q", code, body)
	}
	p.mu.Lock()
	p.health = map[int]dcprobe.Health{2: {Up: true}, 4: {Up: false}}
	p.mu.Unlock()
	if code, _, body := fetch(t, http.MethodGet, base+"/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Errorf("/readyz with DC 2 up: %d %q", code, body)
	}

	// Middle mode also needs Telegram's config and a ready middle proxy.
	mid := metrics.New(metrics.Options{Mode: metrics.ModeMiddle})
	mid.SetListening(listening.Load)
	mid.SetProber(p)
	if code, _, body := fetch(t, http.MethodGet, serve(t, "tcp4", New(mid, Options{}))+"/readyz"); code != http.StatusServiceUnavailable ||
		body != "middle proxy: Telegram's proxy config is not loaded\n" {
		t.Errorf("/readyz in middle mode without config: %d %q", code, body)
	}
}

func TestHandleMountsMoreRoutes(t *testing.T) {
	s := New(metrics.New(metrics.Options{}), Options{})
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	s.Handle("GET /links", hello, LoopbackPrefixes())
	s.Handle("GET /open", hello, Everyone())
	s.Handle("/admin/", hello, nil)
	s.Handle("GET /private", hello, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	base := serve(t, "tcp4", s)
	for path, want := range map[string]int{
		"/links": http.StatusOK, "/open": http.StatusOK,
		"/admin/x": http.StatusNotFound, "/private": http.StatusNotFound,
	} {
		if code, _, _ := fetch(t, http.MethodGet, base+path); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}

func TestAllowed(t *testing.T) {
	prefixes := normalize([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::ffff:192.168.0.0/112"),
		netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("2001:db8::1/64"), // unmasked on purpose
	})
	for remote, want := range map[string]bool{
		"10.1.2.3:5":             true,
		"[::ffff:10.1.2.3]:5":    true, // a mapped peer is IPv4
		"192.168.7.7:1":          true, // a mapped prefix is IPv4
		"192.169.0.1:1":          false,
		"[fe80::1%eth0]:80":      true, // the zone is ignored
		"[2001:db8::abcd]:443":   true,
		"[2001:db9::1]:443":      false,
		"11.0.0.1:1":             false,
		"10.0.0.1":               false, // no port: unparsable
		"not an address":         false,
		"":                       false,
		"[::ffff:11.0.0.1]:1234": false,
	} {
		if got := allowed(prefixes, remote); got != want {
			t.Errorf("allowed(%q) = %v, want %v", remote, got, want)
		}
	}
	if allowed(nil, "127.0.0.1:1") {
		t.Error("an empty list lets a peer in")
	}
}

// rawConn connects to the server of base ("http://host:port").
func rawConn(t *testing.T, base string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer waits (up to a bound far above the server's timeouts) for
// the server to close c, failing the test if it does not.
func closedByServer(t *testing.T, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server kept the connection open", what)
	}
}

// A peer that sends half a request, or keeps an idle connection, is
// disconnected by the server's timeouts (it had no read timeout and no
// bound on idle connections before).
func TestTimeouts(t *testing.T) {
	m := metrics.New(metrics.Options{})
	base := serve(t, "tcp4", New(m, Options{
		ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond,
	}))
	slow := rawConn(t, base)
	if _, err := slow.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	closedByServer(t, slow, "half a request")

	idle := rawConn(t, base)
	if _, err := idle.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the request: %v %v", resp, err)
	}
	resp.Body.Close()
	closedByServer(t, idle, "an idle keep-alive connection")
}

// At most MaxConns connections are served at once: the next waits until
// one of them ends.
func TestMaxConns(t *testing.T) {
	m := metrics.New(metrics.Options{})
	base := serve(t, "tcp4", New(m, Options{MaxConns: 2, IdleTimeout: time.Minute}))
	held := []net.Conn{rawConn(t, base), rawConn(t, base)}
	for _, c := range held { // both accepted and served: each holds a slot
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("a held connection's request: %v %v", resp, err)
		}
	}
	third := rawConn(t, base)
	if _, err := third.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := third.Read(make([]byte, 1)); n > 0 || err == nil {
		t.Fatal("a third connection was served while two held the slots")
	}
	held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(20 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(third), nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the third connection once a slot freed: %v %v", resp, err)
	}
}
