package proxy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/proxyheader"
)

// frontingEvents records the engine's accepted connections and fronting
// outcomes.
type frontingEvents struct {
	proxy.NopObserver
	mu       sync.Mutex
	accepted int
	fronted  []proxy.FrontingEvent
	changed  chan struct{}
}

func newFrontingEvents() *frontingEvents { return &frontingEvents{changed: make(chan struct{}, 1000)} }

func (e *frontingEvents) ClientAccepted() {
	e.mu.Lock()
	e.accepted++
	e.mu.Unlock()
	e.changed <- struct{}{}
}

func (e *frontingEvents) Fronting(ev proxy.FrontingEvent) {
	e.mu.Lock()
	e.fronted = append(e.fronted, ev)
	e.mu.Unlock()
	e.changed <- struct{}{}
}

// waitFor waits until cond holds over the events.
func (e *frontingEvents) waitFor(t *testing.T, what string, cond func(accepted int, fronted []proxy.FrontingEvent) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		e.mu.Lock()
		ok := cond(e.accepted, e.fronted)
		e.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-e.changed:
		case <-deadline:
			accepted, fronted := e.snapshot()
			t.Fatalf("no %s: %d accepted, fronted %+v", what, accepted, fronted)
		}
	}
}

// snapshot returns the events so far.
func (e *frontingEvents) snapshot() (accepted int, fronted []proxy.FrontingEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accepted, append([]proxy.FrontingEvent(nil), e.fronted...)
}

// closedUpstream ends every session at once: these tests authenticate no
// client.
type closedUpstream struct{}

func (closedUpstream) Serve(context.Context, *proxy.Session) error { return nil }

// A fronting address that leads back to the proxy itself (the start-up
// check was bypassed, or DNS changed): one probe makes one looping
// connection, which is recognised and dropped, not a chain that fills
// every slot.
func TestFrontingLoopDropped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ev := newFrontingEvents()
	px, err := proxy.New(proxy.Options{
		Secrets:  []proxy.Secret{{Key: [16]byte{1}}},
		Upstream: closedUpstream{},
		Observer: ev,
		FrontingDial: func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	go px.Serve(ln)
	t.Cleanup(func() { px.Close() })

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	ev.waitFor(t, "loop dropped", func(_ int, fronted []proxy.FrontingEvent) bool {
		for _, f := range fronted {
			if f.Result == proxy.FrontingLoop {
				return true
			}
		}
		return false
	})
	// The prober reads the end of its splice, which lost its far end, and
	// leaves.
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Logf("prober's connection ended with %v", err)
	}
	c.Close()
	ev.waitFor(t, "both splices reported", func(_ int, fronted []proxy.FrontingEvent) bool { return len(fronted) == 2 })
	if accepted, _ := ev.snapshot(); accepted != 2 {
		t.Fatalf("one probe made %d connections, want the probe and one loop", accepted)
	}
}

// Behind a trusted load balancer the per-source limit counts the address
// in the PROXY header, not the balancer's: a second connection of one
// client evicts its first, another client's stays.
func TestPerSourceLimitSeesThePROXYHeader(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := proxyheader.Listen(raw, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, 10*time.Second)
	closed := make(chan proxy.CloseEvent, 10)
	px, err := proxy.New(proxy.Options{
		Secrets: []proxy.Secret{{Key: [16]byte{1}}}, Upstream: closedUpstream{},
		Observer: closeRecorder{closed: closed}, MaxUnauthPerIP: 1, HandshakeTimeout: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	go px.Serve(ln)
	t.Cleanup(func() { px.Close() })

	from := func(src string) net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		hdr := "PROXY TCP4 " + src + " 127.0.0.1 40000 443\r\n"
		if _, err := io.WriteString(c, hdr+"\x11\x22\x33\x44\x55\x66\x77\x88\x99"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := from("198.51.100.7")
	waitUnauth(t, px, 1)
	other := from("198.51.100.8")
	waitUnauth(t, px, 2)
	from("198.51.100.7")
	select {
	case ce := <-closed:
		if !ce.Evicted || ce.Eviction != proxy.EvictionPerIP {
			t.Fatalf("closed %+v, want an eviction at the per-source limit", ce)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nothing evicted")
	}
	first.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, _ := first.Read(make([]byte, 1)); n != 0 {
		t.Fatal("the evicted client got an answer")
	}
	waitUnauth(t, px, 2)
	other.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := other.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the other client's connection ended: %v", err)
	}
}

// closeRecorder forwards the close events.
type closeRecorder struct {
	proxy.NopObserver
	closed chan proxy.CloseEvent
}

func (c closeRecorder) ClientClosed(ev proxy.CloseEvent) { c.closed <- ev }

// waitUnauth waits until n connections are unauthenticated.
func waitUnauth(t *testing.T, px *proxy.Proxy, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for px.Unauthenticated().Open != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d unauthenticated connections, want %d", px.Unauthenticated().Open, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// FrontingProxyProtocol passes the prober's address on to the site in a
// PROXY header before its bytes.
func TestFrontingSendsPROXYHeader(t *testing.T) {
	site, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	got := make(chan string, 1)
	go func() {
		c, err := site.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var b []byte
		buf := make([]byte, 256)
		for !strings.HasSuffix(string(b), "\r\n\r\n") {
			n, err := c.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- string(b)
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px, err := proxy.New(proxy.Options{
		Secrets: []proxy.Secret{{Key: [16]byte{1}}}, Upstream: closedUpstream{},
		FrontingAddr: site.Addr().String(), FrontingProxyProtocol: proxyheader.V1,
	})
	if err != nil {
		t.Fatal(err)
	}
	go px.Serve(ln)
	t.Cleanup(func() { px.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	var seen string
	select {
	case seen = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the site saw nothing")
	}
	_, cport, _ := net.SplitHostPort(c.LocalAddr().String())
	_, pport, _ := net.SplitHostPort(ln.Addr().String())
	want := "PROXY TCP4 127.0.0.1 127.0.0.1 " + cport + " " + pport + "\r\n" + req
	if seen != want {
		t.Fatalf("the site saw %q, want %q", seen, want)
	}
}

// A fronted prober keeping the splice busy is closed when FrontingLifetime
// is up, and counted as a bound hit, whichever socket's close ends the
// splice first. (The site's side used to win that race and report done.)
func TestFrontingLifetime(t *testing.T) {
	site, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	go func() {
		for {
			c, err := site.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(io.Discard, c) }()
		}
	}()
	for range 5 {
		ev := newFrontingEvents()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		px, err := proxy.New(proxy.Options{
			Secrets: []proxy.Secret{{Key: [16]byte{1}}}, Upstream: closedUpstream{}, Observer: ev,
			FrontingAddr: site.Addr().String(), FrontingLifetime: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		go px.Serve(ln)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\n"); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				if _, err := c.Write([]byte("X")); err != nil {
					return
				}
				time.Sleep(10 * time.Millisecond) // the prober's trickle, not a wait
			}
		}()
		ev.waitFor(t, "the splice's end", func(_ int, f []proxy.FrontingEvent) bool { return len(f) == 1 })
		<-done
		c.Close()
		px.Close()
		if _, fronted := ev.snapshot(); fronted[0].Result != proxy.FrontingLimit {
			r := fronted[0].Result
			t.Fatalf("a splice cut by its lifetime ended %v", r)
		}
	}
}
