package auto_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

var key = [16]byte{15: 1}

// wire is the engine with an Auto upstream over a real middle layer (a
// fake core.telegram.org and a fake middle proxy for DC 2) and a real
// direct upstream (a fake DC 2).
type wire struct {
	core *fakecore.Server
	mid  *fakemiddle.Server
	dc   *fakedc.DC
	m    *middle.Middle
	a    *auto.Auto
	addr string
	sw   chan auto.SwitchEvent
}

type switches chan auto.SwitchEvent

func (s switches) PathSwitched(ev auto.SwitchEvent) { s <- ev }

func proxySecret(t *testing.T) []byte {
	for {
		b := make([]byte, 128)
		_, _ = rand.Read(b)
		if _, err := rpc.ParseProxySecret(b); err == nil {
			return b
		}
	}
}

func newWire(t *testing.T, coreDown bool, threshold time.Duration) *wire {
	t.Helper()
	w := &wire{sw: make(chan auto.SwitchEvent, 64)}
	secret := proxySecret(t)
	var err error
	if w.mid, err = fakemiddle.New(fakemiddle.Options{Secret: secret}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.mid.Close() })
	cfg := fmt.Sprintf("default 2;\nproxy_for 2 %s;\nproxy_for -2 %s;\n", w.mid.Addr(), w.mid.Addr())
	w.core = fakecore.New(secret, []byte(cfg), nil)
	t.Cleanup(w.core.Close)
	w.core.SetDown(coreDown)
	w.dc = fakedc.Start(t, fakedc.Options{})

	w.m, err = middle.New(middle.Options{
		ProxySecretURL: w.core.SecretURL(), ProxyConfigURL: w.core.ConfigURL(),
		StartRetryMin: 20 * time.Millisecond, StartRetryMax: 100 * time.Millisecond,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
		MinConnections: 1, MaxConnections: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.m.StartBackground(ctx); err != nil {
		t.Fatal(err)
	}
	table := dc.New(map[int][]netip.AddrPort{2: {netip.MustParseAddrPort(w.dc.Addr())}})
	w.a, err = auto.New(auto.Options{
		Middle: w.m, Direct: direct.New(direct.Options{Table: table}),
		DCs: []int{2}, Threshold: threshold, CheckInterval: 10 * time.Millisecond, Observer: switches(w.sw),
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	go w.a.Run(runCtx)
	px, err := proxy.New(proxy.Options{Secrets: []proxy.Secret{{Key: key}}, Upstream: w.a})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = px.Serve(ln) }()
	w.addr = ln.Addr().String()
	t.Cleanup(func() { stop(); _ = px.Close(); _ = w.m.Close() })
	return w
}

func (w *wire) dial(t *testing.T) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, w.addr, client.Options{Secret: key, Mode: client.Intermediate, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.ReqPQ(ctx); err != nil {
		t.Fatalf("req_pq_multi: %v", err)
	}
	return c
}

// echo proves a connected client still works both ways.
func echo(t *testing.T, c *client.Conn) {
	t.Helper()
	pkt := make([]byte, 64)
	pkt[0] = 0xaa // non-zero auth_key_id: an encrypted message, echoed by both fakes
	_, _ = rand.Read(pkt[8:])
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.WritePacket(pkt, false); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadPacket()
	if err != nil || string(got.Data) != string(pkt) {
		t.Fatalf("echo: %v", err)
	}
}

// waitDC2 waits for DC 2's next switch, which must be to path; the
// switches of -2 and the other DCs (the same middle proxy) are skipped.
func (w *wire) waitDC2(t *testing.T, to auto.Path) auto.SwitchEvent {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-w.sw:
			if ev.DC != 2 || ev.Other {
				continue
			}
			if ev.To != to {
				t.Fatalf("switch %+v, want to %v", ev, to)
			}
			return ev
		case <-timeout:
			t.Fatalf("no switch of DC 2 to %v", to)
		}
	}
}

// Offline first start: a client is served directly at once; when the files
// can be downloaded, DC 2 switches to middle, new clients reach the middle
// proxy, and the client connected before the switch keeps working.
func TestOfflineStartThenMiddle(t *testing.T) {
	w := newWire(t, true, time.Minute)
	if w.m.Running() || w.a.Path(2) != auto.PathDirect {
		t.Fatal("not direct before the files")
	}
	before := w.dial(t)
	if n := len(w.dc.Conns()); n != 1 {
		t.Fatalf("the DC saw %d connections, want 1", n)
	}
	w.core.SetDown(false)
	ev := w.waitDC2(t, auto.PathMiddle)
	if ev.Reason != auto.ReasonMiddleReady {
		t.Errorf("switch %+v", ev)
	}
	after := w.dial(t)
	echo(t, after)
	if n := len(w.mid.Requests()); n != 2 {
		t.Fatalf("%d requests reached the middle proxy, want 2 (req_pq_multi and the echo)", n)
	}
	echo(t, before)
	if n := len(w.dc.Conns()); n != 1 {
		t.Errorf("the DC saw %d connections, want still 1", n)
	}
}

// A middle proxy that dies: after the threshold DC 2's new clients go
// direct; when it answers again they go back to middle. Clients connected
// through the middle proxy before its death were its own: they end with it.
func TestFallbackAndBack(t *testing.T) {
	w := newWire(t, false, 200*time.Millisecond)
	if !w.m.Running() || w.a.Path(2) != auto.PathMiddle {
		t.Fatal("not middle with the files at start")
	}
	w.dial(t)
	if len(w.mid.Requests()) != 1 {
		t.Fatal("the first client did not reach the middle proxy")
	}
	w.mid.SetMode(fakemiddle.ModeCloseOnAccept)
	w.mid.DropAll()
	ev := w.waitDC2(t, auto.PathDirect)
	if ev.Reason != auto.ReasonMiddleDown || ev.Down <= 200*time.Millisecond {
		t.Errorf("switch %+v", ev)
	}
	direct := w.dial(t)
	if n := len(w.dc.Conns()); n != 1 {
		t.Fatalf("the DC saw %d connections after the fallback, want 1", n)
	}
	w.mid.SetMode(fakemiddle.ModeNormal)
	w.waitDC2(t, auto.PathMiddle)
	n := len(w.mid.Requests())
	w.dial(t)
	if len(w.mid.Requests()) != n+1 {
		t.Fatal("a new client after the recovery did not reach the middle proxy")
	}
	echo(t, direct)
}
