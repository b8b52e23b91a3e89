package middle

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// After a known exchange every number behind /stats is what happened:
// forwarded and dropped queries, responses and acks, the targets, the
// client connections and the files.
func TestStatsAfterKnownExchange(t *testing.T) {
	tag := rpc.AdTag{1, 2, 3}
	r := newRig(t, rigOpts{mids: 2,
		fm:   func(_ *rig, _ int, o *fakemiddle.Options) { o.ExpectTag = (*[16]byte)(&tag) },
		opts: func(o *Options) { o.AdTag = &tag; o.ReadyWait = -1 }})
	r.waitTargets(2)

	a := r.dial(client.Intermediate, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.ReqPQ(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		echo(t, a, uint32(i), 64)
	}
	quickAckEcho(t, a, 10, 64)
	quickAckEcho(t, a, 11, 80)
	// Not MTProto: too short, and a plaintext message that is no key
	// exchange. Ignored, as the official proxy does; the client stays.
	if err := a.WritePacket(make([]byte, 8), false); err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, 40)
	binary.LittleEndian.PutUint32(plain[16:], 20)
	binary.LittleEndian.PutUint32(plain[20:], 0x12345678)
	if err := a.WritePacket(plain, false); err != nil {
		t.Fatal(err)
	}
	echo(t, a, 12, 64)

	b := r.dial(client.Abridged, -3)
	echo(t, b, 20, 64)
	gone := r.dial(client.Padded, 3)
	echo(t, gone, 30, 64)
	_ = gone.Close()
	eventually(t, "the third client gone", 10*time.Second, func() bool { return r.m.Stats().ExtConnections == 2 })

	st := r.waitStats("9 queries, 9 responses, 2 acks", func(st Stats) bool {
		return st.Queries.Forwarded >= 9 && st.Responses.Forwarded >= 9 && st.SimpleAcks.Forwarded >= 2
	})
	want := Stats{
		Queries:               Counts{Forwarded: 9},
		InvalidQueries:        2,
		Responses:             Counts{Forwarded: 9},
		SimpleAcks:            Counts{Forwarded: 2},
		ExtConnections:        2,
		ExtConnectionsCreated: 3,
		DeclaredTargets:       2, ReadyTargets: 2, ActiveTargets: 2,
		ProxyTagSet: true,
	}
	if st.Queries != want.Queries || st.InvalidQueries != want.InvalidQueries || st.Responses != want.Responses ||
		st.SimpleAcks != want.SimpleAcks || st.ExtConnections != want.ExtConnections ||
		st.ExtConnectionsCreated != want.ExtConnectionsCreated || st.DeclaredTargets != want.DeclaredTargets ||
		st.ReadyTargets != want.ReadyTargets || st.ActiveTargets != want.ActiveTargets || st.ProxyTagSet != want.ProxyTagSet ||
		st.ClosedByMiddle != 0 || st.SlowClients != 0 {
		t.Errorf("stats\n got %+v\nwant %+v", st, want)
	}
	if n := len(r.mids[0].Requests()) + len(r.mids[1].Requests()); n != 9 {
		t.Errorf("the fakes saw %d requests, want 9", n)
	}
	if st.QueuedBytes != 0 || st.BuffersInUse != 0 || st.QueuedBytesMax <= 0 {
		t.Errorf("queued %d (max %d), buffers %d", st.QueuedBytes, st.QueuedBytesMax, st.BuffersInUse)
	}
	// 9 queries and 1 RPC_CLOSE_CONN sent at least; 9 answers and 2 acks read.
	if st.RPC.FramesSent < 10 || st.RPC.FramesReceived < 11 || st.RPC.BytesSent < 9*(56+64) || st.RPC.BytesReceived < 9*(16+64) {
		t.Errorf("RPC traffic %+v", st.RPC)
	}
	wantDCs := []DCStats{
		{DC: -3, Targets: 1, ReadyTargets: 1, Ready: 2},
		{DC: -2, Targets: 1, ReadyTargets: 1, Ready: 2},
		{DC: 2, Targets: 1, ReadyTargets: 1, Ready: 2},
		{DC: 3, Targets: 1, ReadyTargets: 1, Ready: 2},
	}
	if len(st.DCs) != len(wantDCs) {
		t.Fatalf("DCs %+v", st.DCs)
	}
	for i := range wantDCs {
		if st.DCs[i] != wantDCs[i] {
			t.Errorf("DC stats %+v, want %+v", st.DCs[i], wantDCs[i])
		}
	}
	if len(st.Targets) != 2 || st.Targets[0].Addr.Compare(st.Targets[1].Addr) >= 0 {
		t.Fatalf("targets not sorted: %+v", st.Targets)
	}
	for _, ts := range st.Targets {
		if ts.Clients != 1 || ts.Ready != 2 || ts.Failures != 0 || ts.Retired || len(ts.DCs) != 2 || ts.DCs[0] <= 0 || ts.DCs[1] != -ts.DCs[0] {
			t.Errorf("target %+v", ts)
		}
	}
	cfg := configFor(2, []int{2, 3}, r.mids)
	if st.Config.Size != len(cfg) || st.Config.MD5 != md5hex(cfg) || st.Config.DCs != 4 || st.Config.LoadedAt.IsZero() ||
		st.Config.Age < 0 {
		t.Errorf("config stats %+v", st.Config)
	}

	// b leaves: its target is no longer active.
	_ = b.Close()
	eventually(t, "one active target", 10*time.Second, func() bool {
		st := r.m.Stats()
		return st.ActiveTargets == 1 && st.ExtConnections == 1
	})
	// A DC without ready connections: a dropped query.
	r.mids[1].SetMode(fakemiddle.ModeCloseOnAccept)
	r.mids[1].DropAll()
	eventually(t, "DC 3 down", 10*time.Second, func() bool { return r.m.Stats().ReadyTargets == 1 })
	c := r.dial(client.Intermediate, 3)
	_ = c.WritePacket(encPacket(1, 64), false)
	expectClosed(t, c)
	eventually(t, "the dropped query", 10*time.Second, func() bool { return r.m.Stats().Queries.Dropped == 1 })
	if st := r.m.Stats(); st.Queries.Forwarded != 9 || st.ExtConnectionsCreated != 4 {
		t.Errorf("queries %+v created %d", st.Queries, st.ExtConnectionsCreated)
	}
}
