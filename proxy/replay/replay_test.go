package replay

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func key(i int) Key {
	var k Key
	binary.LittleEndian.PutUint64(k[:], uint64(i))
	return k
}

var t0 = time.Unix(1_700_000_000, 0)

func TestSeenOnce(t *testing.T) {
	c := New(100)
	exp := t0.Add(time.Minute)
	if c.Seen(key(1), t0, exp) {
		t.Fatal("fresh key reported as seen")
	}
	if !c.Seen(key(1), t0.Add(time.Second), exp) {
		t.Fatal("replayed key not detected")
	}
	if c.Seen(key(2), t0, exp) {
		t.Fatal("other key reported as seen")
	}
}

// A key is remembered up to its expiry included, and forgotten right after
// it (counted as expired): the window of the cache is the window in which
// the handshake is accepted, exactly.
func TestRememberedExactlyUntilExpiry(t *testing.T) {
	c := New(100)
	exp := t0.Add(4 * time.Minute)
	c.Seen(key(1), t0, exp)
	if !c.Seen(key(1), exp, exp) {
		t.Fatal("key forgotten at its expiry")
	}
	if c.Seen(key(1), exp.Add(time.Nanosecond), exp.Add(time.Minute)) {
		t.Fatal("key remembered past its expiry")
	}
	if st := c.Stats(exp.Add(time.Nanosecond)); st.Evicted[EvictExpired] != 1 || st.Evicted[EvictFull] != 0 || st.Entries != 1 {
		t.Fatalf("stats %+v", st)
	}
	// An expiry not after now records nothing: seen again, it is new.
	for range 2 {
		if c.Seen(key(2), t0, t0) {
			t.Fatal("a key already out of its window was recorded")
		}
	}
}

// A full cache makes room by dropping the key closest to its expiry, and
// counts it.
func TestFullEvictsSoonestExpiry(t *testing.T) {
	c := New(3)
	for i, d := range []time.Duration{30, 10, 20} {
		c.Seen(key(i), t0, t0.Add(d*time.Second))
	}
	c.Seen(key(9), t0, t0.Add(40*time.Second))
	st := c.Stats(t0)
	if st.Entries != 3 || st.Capacity != 3 || st.Evicted[EvictFull] != 1 || st.Evicted[EvictExpired] != 0 {
		t.Fatalf("stats %+v", st)
	}
	for _, i := range []int{0, 2, 9} {
		if !c.Seen(key(i), t0, t0.Add(time.Hour)) {
			t.Errorf("key %d forgotten", i)
		}
	}
	if c.Seen(key(1), t0, t0.Add(time.Hour)) {
		t.Error("the key closest to its expiry was kept")
	}
}

// Many keys with random expiries: never more than the capacity, expired
// ones always gone, live ones kept while there is room.
func TestBoundedUnderChurn(t *testing.T) {
	const size = 1000
	c := New(size)
	r := rand.New(rand.NewPCG(1, 2))
	now := t0
	live := map[Key]time.Time{}
	for i := range 20 * size {
		now = now.Add(time.Duration(r.IntN(100)) * time.Millisecond)
		exp := now.Add(time.Duration(1+r.IntN(60_000)) * time.Millisecond)
		k := key(i)
		if c.Seen(k, now, exp) {
			t.Fatalf("new key %d seen", i)
		}
		live[k] = exp
		if n := c.Len(); n > size {
			t.Fatalf("cache holds %d keys, bound is %d", n, size)
		}
	}
	st := c.Stats(now)
	held := 0
	for _, exp := range live {
		if !exp.Before(now) {
			held++
		}
	}
	// Room was made only when the live keys outnumbered the capacity.
	if want := min(held, size); st.Entries != want && st.Evicted[EvictFull] == 0 {
		t.Fatalf("%d keys held, %d live, no eviction for room", st.Entries, held)
	}
	// Every key still held is live.
	c.mu.Lock()
	for k, exp := range c.keys {
		if exp < now.UnixNano() || live[k].UnixNano() != exp {
			t.Errorf("key %x held with expiry %d", k, exp)
		}
	}
	c.mu.Unlock()
}

func TestConcurrent(t *testing.T) {
	c := New(1 << 12)
	exp := t0.Add(time.Minute)
	var wg sync.WaitGroup
	dups := make([]int, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if c.Seen(key(i), t0, exp) {
					dups[g]++
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, d := range dups {
		total += d
	}
	if total != 7*1000 {
		t.Fatalf("each of 1000 keys must be fresh exactly once over 8 goroutines: %d duplicates, want 7000", total)
	}
}

func TestEvictReasonNames(t *testing.T) {
	if EvictExpired.String() != "expired" || EvictFull.String() != "full" || NumEvictReasons.String() != "unknown" {
		t.Fatal("reason names")
	}
}

// A full cache of 65536 keys, each new handshake evicting: no allocation.
func BenchmarkSeen(b *testing.B) {
	c := New(65536)
	for i := range 65536 {
		c.Seen(key(i), t0, t0.Add(time.Duration(i)*time.Millisecond+time.Hour))
	}
	b.ReportAllocs()
	for i := 65536; b.Loop(); i++ {
		c.Seen(key(i), t0, t0.Add(time.Duration(i)*time.Millisecond+time.Hour))
	}
}

// Of keys with equal expiries, the oldest makes room first.
func TestFullEvictsOldestOfEqualExpiries(t *testing.T) {
	c := New(3)
	exp := t0.Add(time.Minute)
	for i := range 5 {
		c.Seen(key(i), t0, exp)
	}
	for _, i := range []int{2, 3, 4} {
		if !c.Seen(key(i), t0, exp) {
			t.Errorf("key %d forgotten", i)
		}
	}
	if c.Seen(key(0), t0, exp) {
		t.Error("the oldest key was kept")
	}
}

// Each gives every key still inside its window, with its own expiry, and
// stops when asked to.
func TestEach(t *testing.T) {
	c := New(100)
	for i := range 5 {
		c.Seen(key(i), t0, t0.Add(time.Duration(i+1)*time.Minute))
	}
	got := map[Key]time.Time{}
	c.Each(t0.Add(2*time.Minute+time.Second), func(k Key, exp time.Time) bool {
		got[k] = exp
		return true
	})
	if len(got) != 3 {
		t.Fatalf("%d keys, want the 3 still in their window", len(got))
	}
	for i := 2; i < 5; i++ {
		if exp := got[key(i)]; !exp.Equal(t0.Add(time.Duration(i+1) * time.Minute)) {
			t.Errorf("key %d until %v", i, exp)
		}
	}
	n := 0
	c.Each(t0, func(Key, time.Time) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("Each went on after false: %d calls", n)
	}
}
