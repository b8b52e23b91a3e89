package proxy_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// remotes is an Upstream that notes each session's client address and
// hands it on.
type remotes struct {
	proxy.Upstream
	mu   sync.Mutex
	seen []netip.AddrPort
}

func (r *remotes) Serve(ctx context.Context, s *proxy.Session) error {
	r.mu.Lock()
	r.seen = append(r.seen, s.Remote)
	r.mu.Unlock()
	return r.Upstream.Serve(ctx, s)
}

// serveCarried runs ServeCarried on one end of a pipe and returns the
// other end and the channel its result arrives on.
func serveCarried(f *fixture, c proxy.Carried) (net.Conn, <-chan error) {
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- f.px.ServeCarried(context.Background(), b, c) }()
	return a, done
}

// A carried stream made with its own secret reaches the DC, in every
// obfuscated2 transport, with the real client address, counted under that
// secret; FakeTLS and TLS_ONLY do not apply to it.
func TestServeCarried(t *testing.T) {
	up := &remotes{}
	f := newFixture(t, withFront, func(f *fixture, o *proxy.Options) {
		o.TLSOnly = true
		up.Upstream = o.Upstream
		o.Upstream = up
	})
	remote := netip.MustParseAddrPort("198.51.100.9:40000")
	for _, mode := range []client.Mode{client.Abridged, client.Intermediate, client.Padded} {
		nc, done := serveCarried(f, proxy.Carried{Remote: remote, Local: netip.MustParseAddrPort("127.0.0.1:8080"), Key: secretKeys[1]})
		c, err := client.Over(bounded(t), nc, client.Options{Secret: secretKeys[1], Mode: mode, DC: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReqPQ(bounded(t)); err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		_ = c.Close()
		if err := <-done; err != nil {
			t.Fatalf("ServeCarried: %v", err)
		}
	}
	ev := f.rec.wait(t, "three closed streams", func(e events) bool { return len(e.Closed) == 3 })
	for _, h := range ev.Handshakes {
		if h.Result != proxy.HandshakeOK || h.Secret != 1 || h.DC != 2 {
			t.Errorf("handshake %+v", h)
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if len(up.seen) != 3 {
		t.Fatalf("%d sessions", len(up.seen))
	}
	for _, r := range up.seen {
		if r != remote {
			t.Errorf("the upstream saw client %v, want %v", r, remote)
		}
	}
}

// Another configured secret does not open a stream locked to a secret,
// and a FakeTLS hello is not accepted on a carried stream: both are bad
// secrets, closed without fronting.
func TestServeCarriedLockedToItsSecret(t *testing.T) {
	f := newFixture(t, withFront)
	for _, o := range []client.Options{
		{Secret: secretKeys[0], Mode: client.Padded, DC: 2},
		f.clientOpts(client.FakeTLS, 1, 2),
	} {
		nc, done := serveCarried(f, proxy.Carried{Key: secretKeys[1]})
		go func() {
			// The handshake's writes succeed or fail as the engine
			// closes; either way no answer comes.
			if c, err := client.Over(bounded(t), nc, o); err == nil {
				_, _ = c.ReqPQ(bounded(t))
				_ = c.Close()
			}
		}()
		if err := <-done; err != nil {
			t.Fatalf("ServeCarried: %v", err)
		}
		_ = nc.Close()
	}
	ev := f.rec.wait(t, "two handshakes", func(e events) bool { return len(e.Handshakes) == 2 && len(e.Closed) == 2 })
	for _, h := range ev.Handshakes {
		if h.Result != proxy.HandshakeBadSecret || h.Secret != -1 {
			t.Errorf("handshake %+v, want a bad secret", h)
		}
	}
	if len(ev.Fronting) != 0 || f.dc.Stats().Accepted != 0 {
		t.Errorf("fronted %d, the DC got %d connections", len(ev.Fronting), f.dc.Stats().Accepted)
	}
}

// An unknown secret, the connection limit and a closed engine refuse a
// carried stream with their errors.
func TestServeCarriedRefusals(t *testing.T) {
	f := newFixture(t, with(func(o *proxy.Options) { o.MaxConnections = 1 }))
	nc, done := serveCarried(f, proxy.Carried{Key: unknownKey})
	if err := <-done; !errors.Is(err, proxy.ErrCarriedSecret) {
		t.Errorf("unknown secret: %v", err)
	}
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Error("the stream of an unknown secret is open")
	}
	held, done1 := serveCarried(f, proxy.Carried{Key: secretKeys[0]})
	c, err := client.Over(bounded(t), held, client.Options{Secret: secretKeys[0], Mode: client.Padded, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	_, done2 := serveCarried(f, proxy.Carried{Key: secretKeys[0]})
	if err := <-done2; !errors.Is(err, proxy.ErrConnectionLimit) {
		t.Errorf("over the limit: %v", err)
	}
	_ = f.px.Close()
	if err := <-done1; err != nil {
		t.Errorf("the held stream: %v", err)
	}
	_, done3 := serveCarried(f, proxy.Carried{Key: secretKeys[0]})
	if err := <-done3; !errors.Is(err, proxy.ErrServerClosed) {
		t.Errorf("after Close: %v", err)
	}
	ev := f.rec.snapshot()
	if len(ev.Rejected) != 2 || ev.Rejected[0] != proxy.RejectLimit || ev.Rejected[1] != proxy.RejectShutdown {
		t.Errorf("rejections %v", ev.Rejected)
	}
}
