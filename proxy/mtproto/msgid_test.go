package mtproto

import (
	"sync"
	"testing"
	"time"
)

func TestMsgIDLayout(t *testing.T) {
	at := time.Unix(0x5f000000, 500_000_000) // half a second: fraction 0x80000000
	if got := MsgID(at, ClientMsg); got != 0x5f00000080000000 {
		t.Fatalf("client id %#x", got)
	}
	if got := MsgID(at, ServerResponse); got != 0x5f00000080000001 {
		t.Fatalf("response id %#x", got)
	}
	if got := MsgID(at, ServerMsg); got != 0x5f00000080000003 {
		t.Fatalf("server id %#x", got)
	}
	if MsgIDTime(MsgID(at, ClientMsg)) != time.Unix(0x5f000000, 0) {
		t.Fatal("MsgIDTime")
	}
	for id, want := range map[int64]MsgKind{4: ClientMsg, 5: ServerResponse, 7: ServerMsg} {
		if k, ok := KindOf(id); !ok || k != want {
			t.Errorf("KindOf(%d) = %v %v", id, k, ok)
		}
	}
	if _, ok := KindOf(6); ok {
		t.Error("2 mod 4 accepted")
	}
}

func TestMsgIDsMonotonic(t *testing.T) {
	var g MsgIDs
	now := time.Unix(1_700_000_000, 0)
	prev := int64(0)
	// A stalled clock, then one stepping back, then forward again.
	times := []time.Time{now, now, now, now.Add(-time.Hour), now.Add(time.Second)}
	for i, at := range times {
		for _, k := range []MsgKind{ClientMsg, ServerResponse, ServerMsg, ClientMsg} {
			id := g.Next(at, k)
			if id <= prev {
				t.Fatalf("step %d: %#x not above %#x", i, id, prev)
			}
			if got, _ := KindOf(id); got != k {
				t.Fatalf("step %d: kind %d, want %d", i, got, k)
			}
			if id-prev > 4 && at.Equal(now) && prev != 0 && i < 3 {
				t.Fatalf("step %d: skipped ids (%#x after %#x)", i, id, prev)
			}
			prev = id
		}
	}
	if MsgIDTime(prev) != now.Add(time.Second) {
		t.Fatalf("clock moving forward again not followed: %v", MsgIDTime(prev))
	}
}

func TestMsgIDsConcurrent(t *testing.T) {
	var g MsgIDs
	now := time.Unix(1_700_000_000, 0)
	const workers, each = 8, 500
	ids := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				ids <- g.Next(now, ClientMsg)
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] || id%4 != 0 {
			t.Fatalf("id %#x duplicated or not a client id", id)
		}
		seen[id] = true
	}
}
