package middle

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// A middle proxy dropping its connections mid-stream closes its DC's
// clients cleanly (no hang), leaves the other DCs alone, and the pool
// reconnects so that new clients are served.
func TestMiddleProxyDropsConnections(t *testing.T) {
	r := newRig(t, rigOpts{mids: 2})
	r.waitTargets(2)
	var dc2 []*client.Conn
	for i := range 4 {
		c := r.dial(allModes[i%3], 2)
		echo(t, c, uint32(i), 64)
		dc2 = append(dc2, c)
	}
	other := r.dial(client.Intermediate, 3)
	echo(t, other, 9, 64)
	po := startPinger(other, 9)

	r.mids[0].DropAll()
	for _, c := range dc2 {
		expectClosed(t, c)
	}
	po.wait(t, 10)
	eventually(t, "close events", 10*time.Second, func() bool { return len(r.obs.closeEvents()) == 2 })
	clients := 0
	for _, ev := range r.obs.closeEvents() {
		if ev.Target != r.mids[0].Addr() || (ev.Reason != ClosePeer && ev.Reason != CloseReadError) || ev.DC != 2 {
			t.Errorf("close event %+v", ev)
		}
		clients += ev.Clients
	}
	if clients != 4 {
		t.Errorf("close events carried %d clients, want 4", clients)
	}
	r.waitTargets(2)
	echo(t, r.dial(client.Abridged, 2), 10, 64)
	eventually(t, "the closed clients gone", 10*time.Second, func() bool { return r.m.Stats().ExtConnections == 2 })
	po.halt(t)
	r.noViolations()
}

// A middle proxy that goes away: its clients are closed, clients of its
// DC are refused (counted) while it is down, and served again once it is
// back on the same address.
func TestMiddleProxyGoneAndBack(t *testing.T) {
	r := newRig(t, rigOpts{opts: func(o *Options) { o.ReadyWait = -1 }})
	c := r.dial(client.Intermediate, 2)
	echo(t, c, 1, 64)
	addr := r.mids[0].Addr()
	_ = r.mids[0].Close()
	expectClosed(t, c)
	eventually(t, "a failed dial", 10*time.Second, func() bool { return r.obs.handshakeResults()[HandshakeDialFailed] > 0 })
	down := r.dial(client.Intermediate, 2)
	if err := down.WritePacket(encPacket(2, 64), false); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, down)
	eventually(t, "the dropped query", 10*time.Second, func() bool { return r.m.Stats().Queries.Dropped == 1 })

	back, err := fakemiddle.New(fakemiddle.Options{Secret: r.secret, Addr: addr.String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = back.Close() })
	r.mids[0] = back
	r.waitTargets(2)
	echo(t, r.dial(client.Padded, 2), 3, 64)
	r.noViolations()
}

// Close ends every client, refuses new ones, and is idempotent.
func TestCloseEndsClients(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.waitTargets(2)
	cs := []*client.Conn{r.dial(client.Intermediate, 2), r.dial(client.Abridged, -2)}
	for i, c := range cs {
		echo(t, c, uint32(i), 64)
	}
	done := make(chan error, 1)
	go func() { done <- r.m.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close hangs")
	}
	for _, c := range cs {
		expectClosed(t, c)
	}
	if err := r.m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.m.Serve(context.Background(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Serve after Close: %v", err)
	}
	if err := r.m.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	eventually(t, "the fake's connections closed", 10*time.Second, func() bool { return r.mids[0].Stats().Conns == 0 })
	if got := r.obs.closeReasons(); got[CloseShutdown] != 2 || len(got) != 1 {
		t.Errorf("close reasons %v", got)
	}
}

// A middle proxy that stops reading cannot hold clients forever: the
// write that blocks times out after WriteTimeout, the connection closes
// with its clients, and the pool reconnects.
func TestStuckMiddleProxyWriteTimeout(t *testing.T) {
	r := newRig(t, rigOpts{opts: func(o *Options) {
		oneConn(o)
		o.WriteTimeout = 300 * time.Millisecond
	}})
	c := r.dial(client.Intermediate, 2)
	echo(t, c, 1, 64)
	r.mids[0].SetMode(fakemiddle.ModeStall)
	big := encPacket(2, 512<<10)
	go func() {
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		for c.WritePacket(big, false) == nil {
		}
	}()
	// The fake answers the frame it was reading when it stalled; then the
	// client must see its connection end.
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, err := c.ReadPacket(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the client was not closed")
			}
			break
		}
	}
	eventually(t, "the write timeout", 10*time.Second, func() bool { return r.obs.closeReasons()[CloseWriteTimeout] == 1 })
	ev := r.obs.closeEvents()[0]
	if ev.Clients != 1 || ev.Target != r.mids[0].Addr() {
		t.Errorf("close event %+v", ev)
	}
	r.mids[0].SetMode(fakemiddle.ModeNormal)
	r.waitTargets(1)
	echo(t, r.dial(client.Abridged, 2), 3, 64)
}

// Bytes that are not frames from a middle proxy mid-stream: the connection
// is closed as a protocol error with its clients, the pool reconnects.
func TestGarbageMidStream(t *testing.T) {
	r := newRig(t, rigOpts{opts: oneConn})
	c := r.dial(client.Padded, 2)
	echo(t, c, 1, 64)
	r.mids[0].Garbage()
	expectClosed(t, c)
	eventually(t, "a protocol error", 10*time.Second, func() bool { return r.obs.closeReasons()[CloseProtocolError] == 1 })
	r.waitTargets(1)
	echo(t, r.dial(client.Padded, 2), 2, 64)
}

// blockingTransport holds every request until released.
type blockingTransport struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	return http.DefaultTransport.RoundTrip(req)
}

// Close while Start is still downloading: Start then starts nothing and
// fails with ErrClosed, and no connection is made.
func TestCloseDuringStart(t *testing.T) {
	bt := &blockingTransport{entered: make(chan struct{}, 1), release: make(chan struct{})}
	r := newRig(t, rigOpts{noStart: true, opts: func(o *Options) { o.HTTPClient = &http.Client{Transport: bt} }})
	done := make(chan error, 1)
	go func() { done <- r.m.Start(context.Background()) }()
	<-bt.entered
	if err := r.m.Close(); err != nil {
		t.Fatal(err)
	}
	close(bt.release)
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Start: %v, want ErrClosed", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Start hangs")
	}
	if r.m.poolp.Load() != nil {
		t.Fatal("the pool was started after Close")
	}
	if err := r.m.Serve(context.Background(), nil); !errors.Is(err, ErrNotStarted) && !errors.Is(err, ErrClosed) {
		t.Errorf("Serve: %v", err)
	}
}
