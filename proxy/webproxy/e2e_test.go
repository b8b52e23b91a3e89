package webproxy_test

import (
	"bytes"
	"io"
	"net/http"
	"net/netip"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/webclient"
)

// The Go test client drives the API as the page does, in both carrier
// modes, with both secret forms, direct and through a middle proxy: each
// stream's DATA is a real obfuscated2 client conversation that reaches the
// fake DC (or middle proxy) intact and is answered.
func TestEndToEnd(t *testing.T) {
	for _, mode := range []webproxy.Mode{webproxy.ModeHTTPS, webproxy.ModeWebSocket} {
		for _, upstream := range []string{"direct", "middle"} {
			t.Run(mode.String()+"/"+upstream, func(t *testing.T) {
				r := newRig(t, rigOpts{middle: upstream == "middle", options: func(o *webproxy.Options) { o.Mode = mode }})
				for _, c := range []struct {
					form wire.Form
					mode client.Mode
				}{{wire.DD, client.Padded}, {wire.Plain, client.Intermediate}, {wire.Plain, client.Abridged}} {
					o := r.client(1, c.form)
					o.Header = http.Header{"X-Forwarded-For": {"198.51.100.7"}}
					mux, s, err := webclient.Connect(ctxT(t), o)
					if err != nil {
						t.Fatal(err)
					}
					if s.Mode != mode.String() {
						t.Errorf("carrier mode %q", s.Mode)
					}
					conversation(t, mux, r.keys[1], c.mode, upstream == "direct")
					if err := mux.Close(); err != nil {
						t.Errorf("closing the session: %#v", err)
					}
				}
				if r.dc != nil {
					for _, ci := range r.dc.Conns() {
						if ci.DC != 2 {
							t.Errorf("the DC saw DC %d", ci.DC)
						}
					}
					if n := len(r.dc.Conns()); n != 3 {
						t.Errorf("the DC saw %d connections, want 3", n)
					}
				}
				if r.mid != nil {
					reqs := r.mid.Requests()
					if len(reqs) == 0 {
						t.Fatal("the middle proxy got no request")
					}
					for _, q := range reqs {
						if q.Client.Addr() != netip.MustParseAddr("198.51.100.7") {
							t.Errorf("the middle proxy saw client %v, want the forwarded 198.51.100.7", q.Client)
						}
					}
					if v := r.mid.Violations(); len(v) > 0 {
						t.Errorf("violations: %q", v)
					}
				}
				eventually(t, "every session and stream closed", func() bool {
					return r.carrier.Sessions() == 0 && r.obs.get(func(o *recObserver) int { return o.closed }) == 3 &&
						r.obs.get(func(o *recObserver) int { return o.streams[webproxy.StreamServed] }) == 3
				})
			})
		}
	}
}

// conversation runs one client connection over a new stream: req_pq_multi
// answered with a resPQ, then echoed packets adding up to more than a
// window each way, read while they are written (concurrent) or one by one
// (a middle proxy drops a client with over 2 MiB of answers queued, as a
// real one would).
func conversation(t *testing.T, mux *webclient.Mux, key [16]byte, mode client.Mode, concurrent bool) {
	t.Helper()
	t.Cleanup(func() { _ = mux.Close() })
	st, err := mux.Open()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Over(ctxT(t), st, client.Options{Secret: key, Mode: mode, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ReqPQ(ctxT(t)); err != nil {
		t.Fatalf("%v: %v (mux: %v)", mode, err, mux.Err())
	}
	const packets, size = 24, 256 << 10 // 6 MiB: past the 4 MiB windows
	errc := make(chan error, 1)
	next := make(chan struct{}, packets)
	go func() {
		for i := range packets {
			if !concurrent && i > 0 {
				<-next
			}
			if err := c.WritePacket(packetOf(i, size), false); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := range packets {
		if i > 0 {
			next <- struct{}{}
		}
		p, err := c.ReadPacket()
		if err != nil {
			t.Fatalf("echo %d: %v (mux: %v)", i, err, mux.Err())
		}
		if !bytes.Equal(p.Data, packetOf(i, size)) {
			t.Fatalf("echo %d differs", i)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// packetOf is an encrypted-looking MTProto packet (non-zero auth_key_id)
// tagged with i, which the fake DC and middle proxy echo.
func packetOf(i, n int) []byte {
	p := make([]byte, n)
	p[0] = 0xaa
	for j := 8; j+4 <= n; j += 4 {
		p[j], p[j+1], p[j+2], p[j+3] = byte(i), byte(j>>8), byte(j>>16), byte(j)
	}
	return p
}

// Several streams of one session run at once, each its own client.
func TestConcurrentStreams(t *testing.T) {
	r := newRig(t, rigOpts{})
	mux, _, err := webclient.Connect(ctxT(t), r.client(0, wire.DD))
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	errs := make(chan error, 6)
	for range cap(errs) {
		go func() {
			st, err := mux.Open()
			if err != nil {
				errs <- err
				return
			}
			c, err := client.Over(ctxT(t), st, client.Options{Secret: r.keys[0], Mode: client.Padded, DC: 2})
			if err == nil {
				_, err = c.ReqPQ(ctxT(t))
				c.Close()
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.dc.WaitStats(ctxT(t), func(s fakedc.Stats) bool { return s.ReqPQ == 6 }); err != nil {
		t.Fatal(err)
	}
}

// A stream made with the other configured secret than the capability's
// is refused by the engine: streams are locked to their capability.
func TestStreamLockedToCapabilitySecret(t *testing.T) {
	r := newRig(t, rigOpts{})
	mux, _, err := webclient.Connect(ctxT(t), r.client(0, wire.Plain))
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	st, err := mux.Open()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Over(ctxT(t), st, client.Options{Secret: r.keys[1], Mode: client.Intermediate, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReqPQ(ctxT(t)); err == nil {
		t.Fatal("a stream with another secret got an answer")
	} else if err != io.EOF && !isEOF(err) {
		t.Logf("refused with %v", err)
	}
	if n := r.dc.Stats().Accepted; n != 0 {
		t.Errorf("the DC got %d connections", n)
	}
}

func isEOF(err error) bool { return err != nil && bytes.Contains([]byte(err.Error()), []byte("EOF")) }

// An idle carried stream holds no relay buffer: the engine's relay waits
// for the stream's bytes (proxy.ReadableWaiter) before it takes one, as it
// waits for a socket's readability. Before, each idle stream pinned one
// pooled buffer in a blocked Read. Bytes still flow once the streams wake.
func TestIdleCarriedStreamsHoldNoBuffer(t *testing.T) {
	r := newRig(t, rigOpts{})
	mux, _, err := webclient.Connect(ctxT(t), r.client(0, wire.DD))
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	const streams = 4
	var clients []*client.Conn
	for range streams {
		st, err := mux.Open()
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.Over(ctxT(t), st, client.Options{Secret: r.keys[0], Mode: client.Padded, DC: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ReqPQ(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	// Every answer was written and every relay is back to waiting: no
	// buffer is held (the DC side waits on its socket, the client side on
	// the stream).
	eventually(t, "idle carried streams to hold no relay buffer", func() bool {
		return r.px.BufferStats().InUse == 0
	})
	if r.px.ActiveConnections() != streams {
		t.Fatalf("%d connections open, want %d", r.px.ActiveConnections(), streams)
	}
	for _, c := range clients {
		if _, err := c.ReqPQ(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
}
