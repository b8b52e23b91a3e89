package proxy_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// activeAtClose is a recorder that also notes ActiveConnections as each
// ClientClosed arrives.
type activeAtClose struct {
	*recorder
	px   atomic.Pointer[proxy.Proxy]
	seen chan int64
}

func (o *activeAtClose) ClientClosed(ev proxy.CloseEvent) {
	o.seen <- int64(o.px.Load().ActiveConnections())
	o.recorder.ClientClosed(ev)
}

// An observer told that a client closed sees it gone from
// ActiveConnections (a gauge read on that event counted it still).
func TestClientClosedAfterTheCountDrops(t *testing.T) {
	obs := &activeAtClose{seen: make(chan int64, 4)}
	f := newFixture(t, func(f *fixture, o *proxy.Options) {
		obs.recorder = f.rec
		o.Observer = obs
	})
	obs.px.Store(f.px)
	c := f.dial(f.clientOpts(client.Padded, 1, 2))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if n := <-obs.seen; n != 0 {
		t.Fatalf("ActiveConnections at ClientClosed = %d, want 0", n)
	}
}

// Shutdown racing a stream of new connections: whatever it let in, it
// waited for. When it returns nothing is open and nothing but a refusal is
// reported closed afterwards, and Serve ends with ErrServerClosed. (The
// window this guards, a connection counted after Shutdown's wait began,
// is a few instructions wide: the loop makes it likely to be crossed, not
// certain.)
func TestShutdownRacingAccepts(t *testing.T) {
	for round := range 50 {
		f := newFixture(t)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					nc, err := net.Dial("tcp", f.addr)
					if err != nil {
						return // the listener is closed
					}
					_ = nc.Close()
				}
			})
		}
		f.rec.wait(t, "a connection accepted", func(ev events) bool { return ev.Accepted > 0 })
		if err := f.px.Shutdown(context.Background()); err != nil {
			t.Fatalf("round %d: Shutdown: %v", round, err)
		}
		if n := f.px.ActiveConnections(); n != 0 {
			t.Fatalf("round %d: %d connections open after Shutdown returned", round, n)
		}
		at := f.rec.snapshot()
		if err := f.serveResult(); !errors.Is(err, proxy.ErrServerClosed) {
			t.Fatalf("round %d: Serve returned %v", round, err)
		}
		// Serve may still refuse connections after Shutdown returned, and
		// a refusal is reported in two steps (rejected, then closed), so
		// a snapshot can fall between them. What must hold: every
		// connection let in (all accepted but the refused, counted once
		// Serve is done) was closed and reported before Shutdown returned.
		end := f.rec.snapshot()
		if admitted := end.Accepted - len(end.Rejected); len(at.Closed) < admitted {
			t.Fatalf("round %d: %d connections let in, %d reported closed when Shutdown returned", round, admitted, len(at.Closed))
		}
		if len(end.Closed) != end.Accepted {
			t.Fatalf("round %d: %d accepted, %d closed", round, end.Accepted, len(end.Closed))
		}
		close(stop)
		wg.Wait()
	}
}
