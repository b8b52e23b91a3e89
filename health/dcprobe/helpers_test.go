package dcprobe

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/testkit/badpeer"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// testTimeout bounds each exchange in these tests: long enough for a
// loaded machine to answer on loopback, short enough for the silent peer.
const testTimeout = 2 * time.Second

func ap(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	return a
}

func fakeDC(t testing.TB) netip.AddrPort { return ap(t, fakedc.Start(t, fakedc.Options{}).Addr()) }

func bad(t testing.TB, b badpeer.Behaviour) netip.AddrPort {
	return ap(t, badpeer.Start(t, b).Addr())
}

// blackhole is a dialer whose connects never complete (a SYN dropped).
func blackhole() *dc.Dialer {
	return &dc.Dialer{Timeout: 50 * time.Millisecond, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
}

type recObserver struct {
	mu      sync.Mutex
	probes  map[netip.AddrPort]Outcome
	calls   int
	changes []change
}

type change struct {
	target int
	up     bool
	h      Health
}

func newRec() *recObserver { return &recObserver{probes: map[netip.AddrPort]Outcome{}} }

func (r *recObserver) Probed(_ int, o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probes[o.Addr] = o
	r.calls++
}

func (r *recObserver) probeCalls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *recObserver) StateChanged(target int, up bool, h Health) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, change{target, up, h})
}
