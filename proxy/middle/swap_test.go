package middle

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
)

// pinger exchanges packets on c until stopped, counting round trips and
// reporting the first failure.
type pinger struct {
	stop atomic.Bool
	n    atomic.Int64
	err  chan error
	wg   sync.WaitGroup
}

func startPinger(c *client.Conn, id int) *pinger {
	p := &pinger{err: make(chan error, 1)}
	p.wg.Go(func() {
		for k := 0; !p.stop.Load(); k++ {
			pkt := encPacket(uint32(id<<16|k), 64+4*(k%20))
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			if err := c.WritePacket(pkt, false); err != nil {
				p.err <- fmt.Errorf("client %d packet %d: write: %w", id, k, err)
				return
			}
			got, err := c.ReadPacket()
			if err != nil || !bytes.Equal(got.Data, pkt) {
				p.err <- fmt.Errorf("client %d packet %d: %v", id, k, err)
				return
			}
			p.n.Add(1)
		}
	})
	return p
}

// wait stops the pinger after at least n more round trips.
func (p *pinger) wait(t *testing.T, n int64) {
	t.Helper()
	target := p.n.Load() + n
	eventually(t, "more round trips", 20*time.Second, func() bool {
		select {
		case err := <-p.err:
			t.Fatal(err)
		default:
		}
		return p.n.Load() >= target
	})
}

func (p *pinger) halt(t *testing.T) {
	t.Helper()
	p.stop.Store(true)
	p.wg.Wait()
	select {
	case err := <-p.err:
		t.Fatal(err)
	default:
	}
}

// A new config is swapped in without dropping a client: the clients of a
// middle proxy that left the config keep exchanging packets through it;
// new clients go to the new one; the old one's connections close as their
// last client leaves, empty ones at once, and its target is forgotten.
func TestConfigSwapKeepsClients(t *testing.T) {
	r := newRig(t, rigOpts{mids: 2, noStart: true, opts: func(o *Options) {
		o.MinConnections, o.MaxConnections = 3, 3
	}})
	cfgFor := func(i int) []byte {
		a := r.mids[i].Addr().String()
		return []byte("default 2;\nproxy_for 2 " + a + ";\nproxy_for -2 " + a + ";\nproxy_for 3 " + a + ";\n")
	}
	r.core.Set(fakecore.PathConfig, cfgFor(0))
	r.start()
	r.waitTargets(3)
	old := r.mids[0].Addr()

	// Two clients on two of the three connections; one connection empty.
	a, b := r.dial(client.Intermediate, 2), r.dial(client.Padded, 3)
	echo(t, a, 1, 64)
	echo(t, b, 2, 64)
	pa, pb := startPinger(a, 1), startPinger(b, 2)
	pa.wait(t, 10)

	r.core.Set(fakecore.PathConfig, cfgFor(1))
	if err := r.m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.m.Targets(); got[2][0] != r.mids[1].Addr() {
		t.Fatalf("Targets after the swap: %v", got)
	}
	// The old clients keep going, through the old middle proxy.
	oldReqs := len(r.mids[0].Requests())
	pa.wait(t, 20)
	pb.wait(t, 20)
	if n := len(r.mids[0].Requests()); n <= oldReqs {
		t.Error("the old clients' packets stopped reaching the old middle proxy")
	}
	eventually(t, "the empty old connection retired", 10*time.Second, func() bool {
		return r.obs.closeReasons()[CloseRetired] == 1
	})
	st := r.m.Stats()
	var retired, current *TargetStats
	for i := range st.Targets {
		switch {
		case st.Targets[i].Addr == old && st.Targets[i].Retired:
			retired = &st.Targets[i]
		case st.Targets[i].Addr == r.mids[1].Addr():
			current = &st.Targets[i]
		}
	}
	if retired == nil || retired.Ready != 2 || retired.Clients != 2 || current == nil {
		t.Fatalf("targets %+v", st.Targets)
	}
	if st.DeclaredTargets != 1 {
		t.Errorf("declared targets %d, want 1 (retired ones are not declared)", st.DeclaredTargets)
	}
	// New clients go to the new middle proxy.
	r.waitTargets(3)
	c := r.dial(client.Abridged, 2)
	echo(t, c, 3, 64)
	connIDOf(t, r.mids[1], c)

	// The old connections close with their last client.
	pa.halt(t)
	_ = a.Close()
	eventually(t, "a's connection retired", 10*time.Second, func() bool { return r.obs.closeReasons()[CloseRetired] == 2 })
	pb.wait(t, 10)
	pb.halt(t)
	_ = b.Close()
	eventually(t, "the old middle proxy left", 10*time.Second, func() bool {
		if r.mids[0].Stats().Conns != 0 {
			return false
		}
		for _, ts := range r.m.Stats().Targets {
			if ts.Addr == old {
				return false
			}
		}
		return true
	})
	if got := r.obs.closeReasons(); got[CloseRetired] != 3 || len(got) != 1 {
		t.Errorf("close reasons %v, want 3 retired", got)
	}
	echo(t, c, 4, 64)
	r.noViolations()
}

// A middle proxy that stays in the config keeps its connections through a
// swap (only min/max may change), and one that comes back after being
// retired gets a fresh target.
func TestConfigSwapKeepsUnchangedTargets(t *testing.T) {
	r := newRig(t, rigOpts{mids: 2})
	r.waitTargets(2)
	c := r.dial(client.Intermediate, 3)
	echo(t, c, 1, 64)
	acc := r.mids[1].Stats().Accepted
	a0, a1 := r.mids[0].Addr().String(), r.mids[1].Addr().String()
	// DC 3 keeps its middle proxy, which now also serves DC 4.
	r.core.Set(fakecore.PathConfig, []byte("default 2;\nproxy_for 2 "+a0+";\nproxy_for 3 "+a1+";\nproxy_for 4 "+a1+";\nproxy_for -2 "+a0+";\n"))
	if err := r.m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	echo(t, c, 2, 64)
	echo(t, r.dial(client.Intermediate, 4), 3, 64)
	if n := r.mids[1].Stats().Accepted; n != acc {
		t.Errorf("the unchanged middle proxy got %d new connections", n-acc)
	}
	if ev := r.obs.closeEvents(); len(ev) != 0 {
		t.Errorf("connections closed by the swap: %+v", ev)
	}
	for _, ts := range r.m.Stats().Targets {
		if ts.Addr == r.mids[1].Addr() && (len(ts.DCs) != 2 || ts.DCs[0] != 3 || ts.DCs[1] != 4) {
			t.Errorf("target DCs %v, want [3 4]", ts.DCs)
		}
	}
}

// A middle proxy that returns to the config while its retired target
// still carries a client gets a fresh target beside it; the retired one
// keeps its client until it leaves, then goes.
func TestConfigSwapBackWhileDraining(t *testing.T) {
	r := newRig(t, rigOpts{mids: 2, noStart: true, opts: oneConn})
	cfgFor := func(i int) []byte {
		a := r.mids[i].Addr().String()
		return []byte("default 2;\nproxy_for 2 " + a + ";\nproxy_for -2 " + a + ";\n")
	}
	r.core.Set(fakecore.PathConfig, cfgFor(0))
	r.start()
	held := r.dial(client.Intermediate, 2)
	echo(t, held, 1, 64)
	for _, i := range []int{1, 0} {
		r.core.Set(fakecore.PathConfig, cfgFor(i))
		if err := r.m.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	r.waitTargets(1)
	st := r.m.Stats()
	if len(st.Targets) != 2 || st.Targets[0].Addr != r.mids[0].Addr() || st.Targets[0].Retired ||
		st.Targets[1].Addr != r.mids[0].Addr() || !st.Targets[1].Retired || st.Targets[1].Clients != 1 {
		t.Fatalf("targets %+v, want the fresh and the retired target of the first middle proxy", st.Targets)
	}
	if st.DeclaredTargets != 1 || len(st.DCs) != 2 || st.DCs[0].Ready != 1 {
		t.Errorf("declared %d DCs %+v", st.DeclaredTargets, st.DCs)
	}
	echo(t, held, 2, 64)
	fresh := r.dial(client.Abridged, 2)
	echo(t, fresh, 3, 64)
	if q := requestsOf(r.mids[0], connIDOf(t, r.mids[0], fresh)); q[0].Conn == requestsOf(r.mids[0], connIDOf(t, r.mids[0], held))[0].Conn {
		t.Error("a new client was bound to the retired connection")
	}
	_ = held.Close()
	eventually(t, "the retired target gone", 10*time.Second, func() bool { return len(r.m.Stats().Targets) == 1 })
	echo(t, fresh, 4, 64)
}
