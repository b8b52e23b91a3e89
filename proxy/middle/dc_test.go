package middle

import (
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// A client reaches the middle proxies of its DC (media DCs included); a DC
// the config does not list, and DC 0, go to the config's default DC.
func TestDCSelection(t *testing.T) {
	r := newRig(t, rigOpts{mids: 2})
	r.waitTargets(2)
	for _, tc := range []struct {
		dc  int16
		mid int
	}{{2, 0}, {-2, 0}, {3, 1}, {-3, 1}, {0, 0}, {7, 0}, {-7, 0}, {203, 0}} {
		c := r.dial(client.Intermediate, tc.dc)
		echo(t, c, uint32(tc.dc), 64)
		connIDOf(t, r.mids[tc.mid], c) // the client's requests reached this one, with one id
		for i := range r.mids {
			if i == tc.mid {
				continue
			}
			for _, q := range r.mids[i].Requests() {
				if q.Client.String() == c.NetConn().LocalAddr().String() {
					t.Errorf("DC %d: a request reached middle proxy %d, want %d", tc.dc, i, tc.mid)
				}
			}
		}
	}
	st := r.m.Stats()
	if st.DeclaredTargets != 2 || st.ReadyTargets != 2 || len(st.DCs) != 4 {
		t.Errorf("declared %d ready %d DCs %+v", st.DeclaredTargets, st.ReadyTargets, st.DCs)
	}
	r.noViolations()
}

// A DC whose middle proxies have no ready connection: the client's packet
// is counted in dropped_queries and the client is closed, promptly when no
// connection is being established, after ReadyWait when one is.
func TestDCWithoutReadyConnection(t *testing.T) {
	for _, wait := range []time.Duration{-1, 150 * time.Millisecond} {
		t.Run(wait.String(), func(t *testing.T) {
			r := newRig(t, rigOpts{mids: 2, noStart: true, opts: func(o *Options) {
				o.ReadyWait = wait
				o.HandshakeTimeout = 100 * time.Millisecond
			}})
			r.mids[1].SetMode(fakemiddle.ModeSilent) // DC 3 never gets ready
			r.start()
			eventually(t, "DC 3 failing", 10*time.Second, func() bool { return r.obs.handshakeResults()[HandshakeTimeout] > 0 })
			for i, dc := range []int16{3, -3} {
				c := r.dial(client.Abridged, dc)
				if err := c.WritePacket(encPacket(1, 64), false); err != nil {
					t.Fatal(err)
				}
				expectClosed(t, c)
				eventually(t, "the query counted as dropped", 10*time.Second, func() bool {
					return r.m.Stats().Queries.Dropped == uint64(i+1)
				})
			}
			// The default DC is unaffected.
			echo(t, r.dial(client.Abridged, 2), 1, 64)
			st := r.waitStats("1 forwarded", func(st Stats) bool { return st.Queries.Forwarded >= 1 })
			if st.Queries.Forwarded != 1 || st.Queries.Dropped != 2 || st.ReadyTargets != 1 || st.DeclaredTargets != 2 {
				t.Errorf("queries %+v ready %d declared %d", st.Queries, st.ReadyTargets, st.DeclaredTargets)
			}
			if len(r.mids[1].Requests()) != 0 {
				t.Error("a request reached the failing middle proxy")
			}
		})
	}
}

// Clients arriving right after Start, while the first connections are
// still being established, wait for them (ReadyWait) instead of being
// refused.
func TestClientsWaitForFirstConnection(t *testing.T) {
	r := newRig(t, rigOpts{
		fm:      func(_ *rig, _ int, o *fakemiddle.Options) { o.HandshakeDelay = 300 * time.Millisecond },
		opts:    func(o *Options) { o.ReadyWait = 20 * time.Second },
		noStart: true,
	})
	r.ro.noWait = true
	r.start()
	if st := r.m.Stats(); st.ReadyTargets != 0 {
		t.Skipf("the first connection was ready before the clients came (ready %d)", st.ReadyTargets)
	}
	cs := make([]*client.Conn, 5)
	for i := range cs {
		cs[i] = r.dial(allModes[i%3], 2)
		if err := cs[i].WritePacket(encPacket(uint32(i), 64), false); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cs {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if got, err := c.ReadPacket(); err != nil || string(got.Data) != string(encPacket(uint32(i), 64)) {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	if st := r.waitStats("5 forwarded", func(st Stats) bool { return st.Queries.Forwarded >= 5 }); st.Queries.Dropped != 0 || st.Queries.Forwarded != 5 {
		t.Errorf("queries %+v", st.Queries)
	}
}

// A DC served by several middle proxies spreads its clients over them, to
// the least loaded connection.
func TestDCWithSeveralMiddleProxies(t *testing.T) {
	r := newRig(t, rigOpts{mids: 2, noStart: true, opts: oneConn})
	a0, a1 := r.mids[0].Addr().String(), r.mids[1].Addr().String()
	r.core.Set(fakecore.PathConfig, []byte("default 2;\nproxy_for 2 "+a0+";\nproxy_for 2 "+a1+";\n"))
	r.start()
	r.waitTargets(1)
	for i := range 6 {
		echo(t, r.dial(client.Intermediate, 2), uint32(i), 64)
	}
	n0, n1 := len(r.mids[0].Requests()), len(r.mids[1].Requests())
	if n0 != 3 || n1 != 3 {
		t.Errorf("clients per middle proxy: %d and %d, want 3 and 3", n0, n1)
	}
	st := r.m.Stats()
	if len(st.DCs) != 1 || st.DCs[0] != (DCStats{DC: 2, Targets: 2, ReadyTargets: 2, Ready: 2}) || st.ActiveTargets != 2 {
		t.Errorf("DCs %+v active %d", st.DCs, st.ActiveTargets)
	}
}
