package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// sessionRecorder is an Upstream that notes each session's addresses and
// hands it on.
type sessionRecorder struct {
	Upstream
	mu       sync.Mutex
	sessions []Session
}

func (r *sessionRecorder) Serve(ctx context.Context, s *Session) error {
	r.mu.Lock()
	r.sessions = append(r.sessions, *s)
	r.mu.Unlock()
	return r.Upstream.Serve(ctx, s)
}

// handshakeRecorder keeps the handshake events.
type handshakeRecorder struct {
	NopObserver
	mu  sync.Mutex
	evs []HandshakeEvent
}

func (h *handshakeRecorder) Handshake(_ context.Context, ev HandshakeEvent) {
	h.mu.Lock()
	h.evs = append(h.evs, ev)
	h.mu.Unlock()
}

func (h *handshakeRecorder) events() []HandshakeEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HandshakeEvent(nil), h.evs...)
}

type carriedRig struct {
	p    *Proxy
	dc   *fakedc.DC
	rec  *sessionRecorder
	obs  *handshakeRecorder
	keys [][16]byte
}

func newCarriedRig(t *testing.T, o Options) *carriedRig {
	t.Helper()
	d := fakedc.Start(t, fakedc.Options{})
	ap := netip.MustParseAddrPort(d.Addr())
	table := dc.Builtin().WithOverrides(map[int][]netip.AddrPort{2: {ap}, 1: {ap}})
	r := &carriedRig{dc: d, obs: &handshakeRecorder{}, keys: [][16]byte{{1}, {2}, {3}}}
	r.rec = &sessionRecorder{Upstream: NewDirect(DirectOptions{Table: table})}
	for i, k := range r.keys {
		o.Secrets = append(o.Secrets, Secret{Name: string(rune('a' + i)), Key: k})
	}
	o.Upstream, o.Observer = r.rec, r.obs
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	r.p = p
	return r
}

// serve runs ServeCarried on one end of a pipe and returns the other end
// and the channel ServeCarried's result arrives on.
func (r *carriedRig) serve(c Carried) (net.Conn, <-chan error) {
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- r.p.ServeCarried(context.Background(), b, c) }()
	return a, done
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A carried stream made with its own secret reaches the DC with the real
// client address, and is counted under that secret.
func TestServeCarried(t *testing.T) {
	r := newCarriedRig(t, Options{TLSDomain: "www.example.com", TLSOnly: true})
	remote := netip.MustParseAddrPort("198.51.100.9:40000")
	for _, mode := range []client.Mode{client.Abridged, client.Intermediate, client.Padded} {
		nc, done := r.serve(Carried{Remote: remote, Local: netip.MustParseAddrPort("127.0.0.1:8080"), Key: r.keys[1]})
		c, err := client.Over(testCtx(t), nc, client.Options{Secret: r.keys[1], Mode: mode, DC: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReqPQ(testCtx(t)); err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		_ = c.Close()
		if err := <-done; err != nil {
			t.Fatalf("ServeCarried: %v", err)
		}
	}
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	if len(r.rec.sessions) != 3 {
		t.Fatalf("%d sessions", len(r.rec.sessions))
	}
	for _, s := range r.rec.sessions {
		if s.Remote != remote || s.Secret != 1 || s.DC != 2 {
			t.Errorf("session remote %v secret %d dc %d", s.Remote, s.Secret, s.DC)
		}
	}
}

// Another configured secret does not open a stream locked to a secret,
// and a FakeTLS hello is not accepted on a carried stream: both are bad
// secrets, closed without fronting.
func TestServeCarriedLockedToItsSecret(t *testing.T) {
	r := newCarriedRig(t, Options{TLSDomain: "www.example.com"})
	for _, o := range []client.Options{
		{Secret: r.keys[0], Mode: client.Padded, DC: 2},
		{Secret: r.keys[1], Mode: client.FakeTLS, Domain: "www.example.com", DC: 2},
	} {
		nc, done := r.serve(Carried{Key: r.keys[1]})
		go func() {
			// The handshake's writes succeed or fail as the engine closes;
			// either way no answer comes.
			c, err := client.Over(testCtx(t), nc, o)
			if err == nil {
				_, _ = c.ReqPQ(testCtx(t))
				_ = c.Close()
			}
		}()
		if err := <-done; err != nil {
			t.Fatalf("ServeCarried: %v", err)
		}
		_ = nc.Close()
	}
	evs := r.obs.events()
	if len(evs) != 2 {
		t.Fatalf("%d handshake events: %+v", len(evs), evs)
	}
	for _, ev := range evs {
		if ev.Result != HandshakeBadSecret || ev.Secret != -1 {
			t.Errorf("event %+v, want a bad secret", ev)
		}
	}
	if n := r.dc.Stats().Accepted; n != 0 {
		t.Errorf("the DC got %d connections", n)
	}
}

func TestServeCarriedRefusals(t *testing.T) {
	r := newCarriedRig(t, Options{MaxConnections: 1})
	nc, done := r.serve(Carried{Key: [16]byte{9}})
	if err := <-done; !errors.Is(err, ErrCarriedSecret) {
		t.Errorf("unknown secret: %v", err)
	}
	if _, err := nc.Read(make([]byte, 1)); err == nil {
		t.Error("the stream of an unknown secret is open")
	}

	held, done1 := r.serve(Carried{Key: r.keys[0]})
	c, err := client.Over(testCtx(t), held, client.Options{Secret: r.keys[0], Mode: client.Padded, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReqPQ(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	_, done2 := r.serve(Carried{Key: r.keys[0]})
	if err := <-done2; !errors.Is(err, ErrConnectionLimit) {
		t.Errorf("over the limit: %v", err)
	}
	_ = r.p.Close()
	if err := <-done1; err != nil {
		t.Errorf("the held stream: %v", err)
	}
	_, done3 := r.serve(Carried{Key: r.keys[0]})
	if err := <-done3; !errors.Is(err, ErrServerClosed) {
		t.Errorf("after Close: %v", err)
	}
}
