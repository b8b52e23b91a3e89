package proxy_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// panicky is an upstream with a bug: it panics for clients of DC 4.
type panicky struct{ inner proxy.Upstream }

func (u panicky) Serve(ctx context.Context, s *proxy.Session) error {
	if s.DC == 4 {
		panic("an upstream bug")
	}
	return u.inner.Serve(ctx, s)
}

// panicCounter is an engine observer that also counts recovered panics.
type panicCounter struct {
	proxy.NopObserver
	conn, other atomic.Int64
}

func (o *panicCounter) Panicked(w recovery.Where) {
	if w == recovery.Conn {
		o.conn.Add(1)
	} else {
		o.other.Add(1)
	}
}

// A panic inside the upstream closes that client only: it is counted (and
// logged), the other clients keep relaying and new ones are served. It
// took the whole process down, and every connection with it.
func TestPanicInUpstreamClosesOnlyThatClient(t *testing.T) {
	d := fakedc.Start(t, fakedc.Options{})
	dcAddr := netip.MustParseAddrPort(d.Addr())
	table := dc.Builtin().WithOverrides(map[int][]netip.AddrPort{2: {dcAddr}, 4: {dcAddr}})
	obs := &panicCounter{}
	key := [16]byte{4, 0, 4}
	px, addr := serveOptions(t, proxy.Options{
		Secrets: []proxy.Secret{{Key: key}}, Observer: obs,
		Upstream: panicky{direct.New(direct.Options{Table: table})},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dialDC := func(id int16) *client.Conn {
		c, err := client.Dial(ctx, addr, client.Options{Secret: key, Mode: client.Intermediate, DC: id})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	good := dialDC(2)
	if _, err := good.ReqPQ(ctx); err != nil {
		t.Fatal(err)
	}
	bad := dialDC(4)
	_, err := bad.ReqPQ(ctx)
	if ne := net.Error(nil); err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the client whose upstream panicked: %v, want its connection closed", err)
	}
	for obs.conn.Load() != 1 || px.ActiveConnections() != 1 {
		if ctx.Err() != nil {
			t.Fatalf("panics counted %d, connections open %d; want 1 and 1", obs.conn.Load(), px.ActiveConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := good.ReqPQ(ctx); err != nil {
		t.Fatalf("the other client after the panic: %v", err)
	}
	if _, err := dialDC(2).ReqPQ(ctx); err != nil {
		t.Fatalf("a new client after the panic: %v", err)
	}
	if obs.other.Load() != 0 {
		t.Fatalf("%d panics counted elsewhere", obs.other.Load())
	}
}

// handshakePanicker panics in the first Handshake event once armed (the
// engine reports it from the handshake, before any session).
type handshakePanicker struct {
	panicCounter
	armed  atomic.Bool
	closed atomic.Int64
}

func (o *handshakePanicker) Handshake(context.Context, proxy.HandshakeEvent) {
	if o.armed.CompareAndSwap(true, false) {
		panic("an observer bug")
	}
}

func (o *handshakePanicker) ClientClosed(proxy.CloseEvent) { o.closed.Add(1) }

// A panic during the handshake closes that client only, and its end is
// still reported: it is counted, the connection is closed and leaves the
// open count (the handshake's half ends before the session's goroutine
// would start), and the next client is served.
func TestPanicInHandshakeClosesOnlyThatClient(t *testing.T) {
	d := fakedc.Start(t, fakedc.Options{})
	table := dc.Builtin().WithOverrides(map[int][]netip.AddrPort{2: {netip.MustParseAddrPort(d.Addr())}})
	obs := &handshakePanicker{}
	key := [16]byte{4, 0, 5}
	px, addr := serveOptions(t, proxy.Options{
		Secrets: []proxy.Secret{{Key: key}}, Observer: obs,
		Upstream: direct.New(direct.Options{Table: table}),
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dial := func() (*client.Conn, error) {
		c, err := client.Dial(ctx, addr, client.Options{Secret: key, Mode: client.Intermediate, DC: 2})
		if err == nil {
			t.Cleanup(func() { c.Close() })
		}
		return c, err
	}

	obs.armed.Store(true)
	if bad, err := dial(); err == nil {
		_, err = bad.ReqPQ(ctx)
		if ne := net.Error(nil); err == nil || errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the client whose handshake panicked: %v, want its connection closed", err)
		}
	}
	for obs.conn.Load() != 1 || obs.closed.Load() != 1 || px.ActiveConnections() != 0 {
		if ctx.Err() != nil {
			t.Fatalf("panics counted %d, ends reported %d, connections open %d; want 1, 1 and 0",
				obs.conn.Load(), obs.closed.Load(), px.ActiveConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}
	good, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.ReqPQ(ctx); err != nil {
		t.Fatalf("a new client after the panic: %v", err)
	}
	if obs.other.Load() != 0 {
		t.Fatalf("%d panics counted elsewhere", obs.other.Load())
	}
}
