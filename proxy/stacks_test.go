package proxy_test

import (
	"net"
	"net/netip"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// stacks returns the goroutines and the bytes of their stacks, after two
// collections (a collection shrinks the stacks it can).
func stacks() (goroutines, bytes uint64) {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/sched/goroutines:goroutines"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// An idle relayed client costs two goroutines parked in the relay's
// reads, each on a stack of at most 4 KiB once a collection has shrunk
// what the handshake and the dial grew: the parked call chain must stay
// under a quarter of 8 KiB, or the runtime keeps 8 KiB stacks (a few
// bytes more in the relay's loop frames once cost 2.7 KiB of RSS per
// idle direct client).
//
// The race detector widens every frame: .ci/test.sh runs this test in a
// release build too.
func TestIdleRelayStacks(t *testing.T) {
	if raceEnabled {
		t.Skip("stack figures are the release build's (the race detector widens frames)")
	}
	// A DC that accepts and stays silent, with no goroutine per connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const n = 300
	accepted := make(chan struct{}, n)
	var held sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held.Lock()
			conns = append(conns, c)
			held.Unlock()
			accepted <- struct{}{}
		}
	}()
	defer func() {
		held.Lock()
		defer held.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	at := netip.MustParseAddrPort(ln.Addr().String())
	up := direct.New(direct.Options{Table: dc.New(map[int][]netip.AddrPort{2: {at}})})
	f := newFixture(t, with(func(o *proxy.Options) { o.Upstream = up }))

	g0, s0 := stacks()
	for range n {
		f.dial(f.clientOpts(client.Intermediate, 0, 2))
	}
	for range n {
		select {
		case <-accepted:
		case <-time.After(eventWait):
			t.Fatal("the DC did not get every client's connection")
		}
	}
	// Every relay is up once the engine counts its clients active and the
	// DC has them all; the relays then park in their first reads.
	g1, s1 := stacks()
	for deadline := time.Now().Add(eventWait); g1-g0 < 2*n; g1, s1 = stacks() {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines more, want the %d of %d relays", g1-g0, 2*n, n)
		}
		time.Sleep(time.Millisecond)
	}
	per := float64(s1-s0) / float64(g1-g0)
	t.Logf("%d goroutines more, %.0f bytes of stack each", g1-g0, per)
	if per > 4<<10 {
		t.Fatalf("idle relay goroutines hold %.0f bytes of stack each, want 4 KiB at most", per)
	}
}
