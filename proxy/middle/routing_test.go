package middle

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
)

// oneConn is a rig option: one RPC connection per middle proxy, so every
// client shares it.
func oneConn(o *Options) { o.MinConnections, o.MaxConnections = 1, 1 }

// Many clients at once on one RPC connection each get their own answers,
// in order, whatever their transport.
func TestRoutingManyClients(t *testing.T) {
	const clients, packets = 24, 20
	r := newRig(t, rigOpts{opts: oneConn, engine: withTLS})
	cs := make([]*client.Conn, clients)
	for i := range cs {
		cs[i] = r.dial(allModes[i%len(allModes)], 2)
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range cs {
		wg.Go(func() {
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			for k := range packets {
				p := encPacket(uint32(i<<8|k), 56+4*((i*7+k*13)%300))
				if err := c.WritePacket(p, false); err != nil {
					errs <- fmt.Errorf("client %d packet %d: %w", i, k, err)
					return
				}
				got, err := c.ReadPacket()
				if err != nil || !bytes.Equal(got.Data, p) {
					errs <- fmt.Errorf("client %d packet %d: got another answer (%v)", i, k, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ids := map[uint64]bool{}
	for _, q := range r.mids[0].Requests() {
		if q.Conn != 1 {
			t.Fatalf("request on RPC connection %d, want all on 1", q.Conn)
		}
		ids[q.ConnID] = true
	}
	if len(ids) != clients {
		t.Errorf("%d conn ids, want %d", len(ids), clients)
	}
	st := r.waitStats("every packet counted", func(st Stats) bool {
		return st.Queries.Forwarded >= clients*packets && st.Responses.Forwarded >= clients*packets
	})
	if st.Queries.Forwarded != clients*packets || st.Responses.Forwarded != clients*packets || st.Responses.Dropped != 0 {
		t.Errorf("queries %+v responses %+v", st.Queries, st.Responses)
	}
	r.noViolations()
}

// An answer the middle proxy sends for one client reaches that client
// only.
func TestRoutingUnsolicitedAnswer(t *testing.T) {
	r := newRig(t, rigOpts{opts: oneConn})
	cs := make([]*client.Conn, 5)
	for i := range cs {
		cs[i] = r.dial(client.Intermediate, 2)
		echo(t, cs[i], uint32(i), 64)
	}
	extra := encPacket(0xfeed, 200)
	if !r.mids[0].Answer(connIDOf(t, r.mids[0], cs[3]), extra) {
		t.Fatal("the fake does not know the client")
	}
	_ = cs[3].SetDeadline(time.Now().Add(10 * time.Second))
	if got, err := cs[3].ReadPacket(); err != nil || !bytes.Equal(got.Data, extra) {
		t.Fatalf("client 3: %v", err)
	}
	// The others' next packet is their own echo, not the extra answer.
	for i, c := range cs {
		echo(t, c, uint32(100+i), 64)
	}
}

// RPC_CLOSE_EXT closes that client only, after the answers queued before
// it are written; no RPC_CLOSE_CONN goes back for it, as the middle proxy
// already forgot it.
func TestCloseExt(t *testing.T) {
	r := newRig(t, rigOpts{opts: oneConn})
	cs := make([]*client.Conn, 3)
	ids := make([]uint64, 3)
	for i := range cs {
		cs[i] = r.dial(client.Abridged, 2)
		echo(t, cs[i], uint32(i), 64)
		ids[i] = connIDOf(t, r.mids[0], cs[i])
	}
	last := encPacket(0xabc, 64)
	if !r.mids[0].Answer(ids[1], last) || !r.mids[0].CloseExt(ids[1]) {
		t.Fatal("the fake does not know the client")
	}
	_ = cs[1].SetDeadline(time.Now().Add(10 * time.Second))
	if got, err := cs[1].ReadPacket(); err != nil || !bytes.Equal(got.Data, last) {
		t.Fatalf("the answer before RPC_CLOSE_EXT: %v", err)
	}
	expectClosed(t, cs[1])
	for _, i := range []int{0, 2} {
		echo(t, cs[i], uint32(10+i), 64)
	}
	eventually(t, "the client gone", 10*time.Second, func() bool { return r.m.Stats().ExtConnections == 2 })
	if st := r.m.Stats(); st.ClosedByMiddle != 1 {
		t.Errorf("closed by middle %d", st.ClosedByMiddle)
	}
	_ = cs[0].Close()
	_ = cs[2].Close()
	eventually(t, "RPC_CLOSE_CONN for the clients that left", 10*time.Second, func() bool {
		return len(r.mids[0].CloseConns()) == 2
	})
	got := r.mids[0].CloseConns()
	slices.Sort(got)
	want := []uint64{ids[0], ids[2]}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("RPC_CLOSE_CONN for %x, want %x", got, want)
	}
	if st := r.m.Stats(); st.ExtConnections != 0 || st.Targets[0].Ready != 1 {
		t.Errorf("ext %d, target %+v", st.ExtConnections, st.Targets[0])
	}
	r.noViolations()
}

// RPC_CLOSE_CONN is sent once when a client leaves, whichever way:
// closing, or half-closing its side. Answers and acks for an id the proxy
// no longer knows are dropped, counted, and answered with RPC_CLOSE_CONN.
func TestCloseConnWhenClientLeaves(t *testing.T) {
	r := newRig(t, rigOpts{opts: oneConn})
	a := r.dial(client.Intermediate, 2)
	b := r.dial(client.Padded, 2)
	echo(t, a, 1, 64)
	echo(t, b, 2, 64)
	ida, idb := connIDOf(t, r.mids[0], a), connIDOf(t, r.mids[0], b)
	_ = a.Close()
	_ = b.CloseWrite()
	expectClosed(t, b)
	eventually(t, "two RPC_CLOSE_CONN", 10*time.Second, func() bool { return len(r.mids[0].CloseConns()) == 2 })
	if got := r.mids[0].CloseConns(); !slices.Contains(got, ida) || !slices.Contains(got, idb) {
		t.Fatalf("RPC_CLOSE_CONN for %x, want %x and %x", got, ida, idb)
	}
	r.mids[0].Answer(ida, encPacket(5, 64))
	r.mids[0].SimpleAck(idb, 0x80000001)
	eventually(t, "RPC_CLOSE_CONN for the stray answers", 10*time.Second, func() bool { return len(r.mids[0].CloseConns()) == 4 })
	st := r.m.Stats()
	if st.Responses.Dropped != 1 || st.SimpleAcks.Dropped != 1 || st.ExtConnections != 0 {
		t.Errorf("responses %+v acks %+v ext %d", st.Responses, st.SimpleAcks, st.ExtConnections)
	}
	r.noViolations()
}

// A client with no traffic either way for IdleTimeout is closed and the
// middle proxy told; a client whose answers keep coming is not idle.
func TestIdleClientClosed(t *testing.T) {
	const idle = 500 * time.Millisecond
	r := newRig(t, rigOpts{opts: func(o *Options) { oneConn(o); o.IdleTimeout = idle }})
	quiet := r.dial(client.Intermediate, 2)
	busy := r.dial(client.Intermediate, 2)
	echo(t, quiet, 1, 64)
	echo(t, busy, 2, 64)
	qid, bid := connIDOf(t, r.mids[0], quiet), connIDOf(t, r.mids[0], busy)
	start := time.Now()
	// busy only receives: unsolicited answers every 50 ms.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				r.mids[0].Answer(bid, encPacket(3, 64))
			}
		}
	}()
	expectClosed(t, quiet)
	if d := time.Since(start); d < idle {
		t.Errorf("closed after %v, before IdleTimeout", d)
	}
	eventually(t, "RPC_CLOSE_CONN for the idle client", 10*time.Second, func() bool {
		return slices.Contains(r.mids[0].CloseConns(), qid)
	})
	_ = busy.SetDeadline(time.Now().Add(20 * time.Second))
	for range 3 * idle / (50 * time.Millisecond) {
		if _, err := busy.ReadPacket(); err != nil {
			t.Fatalf("the receiving client was closed: %v", err)
		}
	}
}
