package direct_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

var key = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

// dials records the direct upstream's dial events.
type dials chan direct.DialEvent

func (d dials) UpstreamDial(_ context.Context, ev direct.DialEvent) { d <- ev }

func (d dials) next(t *testing.T) direct.DialEvent {
	t.Helper()
	select {
	case ev := <-d:
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no dial event")
		return direct.DialEvent{}
	}
}

// serve runs an engine with up as its upstream on loopback and returns its
// address.
func serve(t *testing.T, up proxy.Upstream) string {
	t.Helper()
	px, err := proxy.New(proxy.Options{Secrets: []proxy.Secret{{Key: key}}, Upstream: up})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go px.Serve(ln)
	t.Cleanup(func() { px.Close() })
	return ln.Addr().String()
}

func tableTo(id int, addr string) *dc.Table {
	return dc.New(map[int][]netip.AddrPort{id: {netip.MustParseAddrPort(addr)}})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// A client's MTProto reaches the DC it asked for, under a fresh header
// naming that DC and the client's transport; the dial is reported.
func TestServeRelaysToTheClientsDC(t *testing.T) {
	d := fakedc.Start(t, fakedc.Options{})
	obs := make(dials, 4)
	addr := serve(t, direct.New(direct.Options{Table: tableTo(2, d.Addr()), Observer: obs}))
	c, err := client.Dial(ctx(t), addr, client.Options{Secret: key, Mode: client.Padded, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ReqPQ(ctx(t)); err != nil {
		t.Fatal(err)
	}
	ev := obs.next(t)
	if ev.DC != 2 || ev.Result != dc.OK || ev.Addr != d.Addr() {
		t.Fatalf("dial event %+v", ev)
	}
	// The DC counts its answer a moment after sending it.
	ci, err := d.WaitFor(ctx(t), func(ci fakedc.ConnInfo) bool { return ci.ReqPQ == 1 })
	if err != nil {
		t.Fatalf("the DC answered no req_pq: %v", err)
	}
	if ci.DC != 2 || ci.Transport != framing.Padded || len(d.Conns()) != 1 {
		t.Fatalf("the DC saw %+v (of %d connections)", ci, len(d.Conns()))
	}
}

// A DC that refuses: the attempt is reported with its result and the
// client is closed.
func TestServeReportsAFailedDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := ln.Addr().String()
	ln.Close() // nothing listens there any more: connect is refused
	obs := make(dials, 4)
	addr := serve(t, direct.New(direct.Options{Table: tableTo(2, refusing), Observer: obs}))
	c, err := client.Dial(ctx(t), addr, client.Options{Secret: key, Mode: client.Intermediate, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ev := obs.next(t); ev.DC != 2 || ev.Result != dc.Refused || ev.Addr != refusing {
		t.Fatalf("dial event %+v", ev)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.ReadPacket(); err == nil {
		t.Fatal("the client of an unreachable DC got a packet")
	}
}

// A relay with no traffic for IdleTimeout is closed: the client reads the
// end of the stream and the DC sees its connection, set up with a valid
// header, end.
func TestServeClosesAnIdleClient(t *testing.T) {
	d := fakedc.Start(t, fakedc.Options{})
	addr := serve(t, direct.New(direct.Options{Table: tableTo(2, d.Addr()), IdleTimeout: 50 * time.Millisecond}))
	c, err := client.Dial(ctx(t), addr, client.Options{Secret: key, Mode: client.Intermediate, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.ReadPacket(); !errors.Is(err, io.EOF) {
		t.Fatalf("the idle client read %v, want the end of the stream", err)
	}
	if _, err := d.WaitFor(ctx(t), func(ci fakedc.ConnInfo) bool { return ci.HeaderOK && ci.Closed }); err != nil {
		t.Fatalf("the DC connection of the idle client stayed open: %v", err)
	}
}
