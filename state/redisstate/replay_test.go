package redisstate

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/replay"
	"github.com/mtproxy/mtproxy/state"
	"github.com/mtproxy/mtproxy/testkit/redisserver"
)

func key(i int) replay.Key {
	var k replay.Key
	binary.LittleEndian.PutUint64(k[:], uint64(i))
	k[15] = 0xee
	return k
}

// A digest recorded through one replica is seen by another, for the
// handshake's window, over TLS with a password as well as plain.
func TestReplaySharedAcrossReplicas(t *testing.T) {
	for _, o := range []redisserver.Options{{}, {TLS: true, Password: "fleet-pw"}} {
		srv := redisserver.Start(t, o)
		a, _ := newStore(t, srv, Options{})
		b, _ := newStore(t, srv, Options{})
		now := time.Now()
		exp := now.Add(4 * time.Minute)
		if a.Replay().Seen(key(1), now, exp) {
			t.Fatal("a fresh digest reported as seen")
		}
		if !b.Replay().Seen(key(1), now, exp) {
			t.Fatal("a digest recorded by replica A was not seen by replica B")
		}
		if !a.Replay().Seen(key(1), now, exp) {
			t.Fatal("replica A forgot its own digest")
		}
		if b.Replay().Seen(key(2), now, exp) {
			t.Fatal("another digest reported as seen")
		}
		// The TTL is the handshake's window.
		ttl, err := direct(t, srv).PTTL(context.Background(), a.Replay().key(key(1))).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= 3*time.Minute || ttl > 4*time.Minute {
			t.Fatalf("TTL %v, want the 4m window", ttl)
		}
		// A window already over records nothing.
		if a.Replay().Seen(key(3), now, now) {
			t.Fatal("a digest outside its window reported seen")
		}
		if a.Replay().Seen(key(3), now, now.Add(time.Minute)) {
			t.Fatal("a digest outside its window was recorded")
		}
	}
}

// With the store killed, Seen fails open (false) and the store goes Down
// after DownAfter failures; from then on the handshake path makes no call
// at all. The digests are kept and written back when the store returns,
// after which another replica sees them.
func TestReplayFailsOpenAndReconciles(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, rec := newStore(t, srv, Options{Timeout: 200 * time.Millisecond, DownAfter: 2, ProbeInterval: 20 * time.Millisecond})
	b, _ := newStore(t, srv, Options{})
	now := time.Now()
	exp := now.Add(time.Hour)
	if a.Replay().Seen(key(1), now, exp) {
		t.Fatal("fresh digest seen")
	}
	srv.Kill()
	for i := 2; i <= 3; i++ {
		if a.Replay().Seen(key(i), now, exp) {
			t.Fatalf("digest %d: seen while the store is down; must fail open", i)
		}
	}
	if h := a.Health(); h != state.Down {
		t.Fatalf("health %v after 2 failures with DownAfter 2", h)
	}
	calls, errs, _ := rec.get(state.OpReplay)
	for i := 4; i <= 10; i++ {
		a.Replay().Seen(key(i), now, exp)
	}
	if c, _, fb := rec.get(state.OpReplay); c != calls || fb != 9 {
		t.Fatalf("while down: %d calls (was %d), %d fallbacks (want 9)", c, calls, fb)
	}
	if errs != 2 {
		t.Fatalf("%d errors, want 2", errs)
	}
	if st := a.Stats(); st.PendingReplay != 9 || st.Health != state.Down {
		t.Fatalf("stats %+v", st)
	}

	srv.Restart() // empty: key 1 is gone with the old server
	run(t, a)
	eventually(t, "the store back up and the digests written back", func() bool {
		return a.Health() == state.Up && a.Stats().PendingReplay == 0
	})
	for i := 2; i <= 10; i++ {
		if !b.Replay().Seen(key(i), now, exp) {
			t.Fatalf("digest %d, accepted by A during the outage, not seen by B after it", i)
		}
	}
	if _, _, fb := rec.get(state.OpReconcile); fb != 0 {
		t.Fatal("reconcile fell back")
	}
}

// A frozen store (connections open, no answer: the slow case) costs a
// handshake at most the timeout, then nothing once Down.
func TestReplayFrozenStoreIsBounded(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, rec := newStore(t, srv, Options{Timeout: 100 * time.Millisecond, DownAfter: 3})
	now := time.Now()
	a.Replay().Seen(key(1), now, now.Add(time.Minute)) // connect while it answers
	srv.Freeze()
	defer srv.Thaw()
	done := make(chan bool)
	go func() { done <- a.Replay().Seen(key(1), now, now.Add(time.Minute)) }()
	select {
	case seen := <-done:
		if seen {
			t.Fatal("a frozen store reported the digest seen; it cannot know")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Seen did not return while the store is frozen: the timeout does not bound it")
	}
	if _, errs, fb := rec.get(state.OpReplay); errs != 1 || fb != 1 {
		t.Fatalf("%d errors, %d fallbacks; want 1 and 1", errs, fb)
	}
	if a.Health() != state.Degraded {
		t.Fatalf("health %v after one timeout", a.Health())
	}
}

// The pending digests are bounded: the oldest make room.
func TestReplayPendingBounded(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, _ := newStore(t, srv, Options{MaxPending: 4, DownAfter: 1, Timeout: 200 * time.Millisecond})
	srv.Kill()
	now := time.Now()
	for i := range 10 {
		a.Replay().Seen(key(i), now, now.Add(time.Hour))
	}
	if n := a.Stats().PendingReplay; n != 4 {
		t.Fatalf("%d pending, bound is 4", n)
	}
	srv.Restart()
	a.heartbeat() // the probe
	if written, known := a.Replay().reconcile(time.Now()); written != 4 || known != 0 {
		t.Fatalf("reconciled %d written %d known, want the 4 newest", written, known)
	}
	b, _ := newStore(t, srv, Options{})
	for i := 6; i < 10; i++ {
		if !b.Replay().Seen(key(i), now, now.Add(time.Hour)) {
			t.Fatalf("recent digest %d was dropped instead of an older one", i)
		}
	}
}

// The local cache is written to the store when the store is new to the
// replica: at its first heartbeat (a cache read back from its file), and
// when the store restarted empty; another replica then refuses those
// handshakes. A store that kept its data is not written to again.
func TestReplayLocalCacheWrittenToANewStore(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, _ := newStore(t, srv, Options{})
	b, _ := newStore(t, srv, Options{})
	now := time.Now()
	local := replay.New(16)
	local.Seen(key(1), now, now.Add(time.Hour))
	local.Seen(key(2), now, now.Add(time.Hour))
	local.Seen(key(3), now.Add(-time.Hour), now.Add(-time.Minute)) // out of its window
	a.Replay().SetLocalCache(local)

	a.heartbeat() // first: the store is new to A
	if !b.Replay().Seen(key(1), now, now.Add(time.Hour)) || !b.Replay().Seen(key(2), now, now.Add(time.Hour)) {
		t.Fatal("A's local digests were not written at its first heartbeat")
	}
	if b.Replay().Seen(key(3), now, now.Add(time.Hour)) {
		t.Fatal("a digest out of its window was written")
	}
	rdb := direct(t, srv)
	if err := rdb.Del(t.Context(), a.Replay().key(key(2))).Err(); err != nil {
		t.Fatal(err)
	}
	a.heartbeat() // same store: nothing written again
	if n, _ := rdb.Exists(t.Context(), a.Replay().key(key(2))).Result(); n != 0 {
		t.Fatal("the local cache was written again to a store that kept its data")
	}

	srv.Restart() // empty
	a.heartbeat()
	if !b.Replay().Seen(key(1), now, now.Add(time.Hour)) {
		t.Fatal("A's local digests were not written back to the restarted store")
	}
}
