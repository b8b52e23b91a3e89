package replay

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"
)

func key(i int) Key {
	var k Key
	binary.LittleEndian.PutUint64(k[:], uint64(i))
	return k
}

func TestSeenOnce(t *testing.T) {
	c := New(100, time.Minute)
	now := time.Unix(1000, 0)
	if c.Seen(key(1), now) {
		t.Fatal("fresh key reported as seen")
	}
	if !c.Seen(key(1), now.Add(time.Second)) {
		t.Fatal("replayed key not detected")
	}
	if c.Seen(key(2), now) {
		t.Fatal("other key reported as seen")
	}
}

func TestBoundedAndRememberedWithinCapacity(t *testing.T) {
	const size = 1000
	c := New(size, time.Hour)
	now := time.Unix(1000, 0)
	for i := 0; i < 10*size; i++ {
		c.Seen(key(i), now)
		if c.Len() > size {
			t.Fatalf("cache holds %d keys, bound is %d", c.Len(), size)
		}
	}
	// The most recent size/2 keys are always remembered.
	for i := 10*size - size/2; i < 10*size; i++ {
		if !c.Seen(key(i), now) {
			t.Fatalf("recent key %d forgotten", i)
		}
	}
}

func TestRememberedForWindow(t *testing.T) {
	c := New(1000, time.Minute)
	t0 := time.Unix(1000, 0)
	c.Seen(key(1), t0)
	// One rotation after the window: still in the previous generation.
	c.Seen(key(2), t0.Add(61*time.Second))
	if !c.Seen(key(1), t0.Add(62*time.Second)) {
		t.Fatal("key forgotten one window later; must last at least the window")
	}
	// Two windows later it may go, and the cache must not grow for ever.
	c.Seen(key(3), t0.Add(200*time.Second))
	c.Seen(key(4), t0.Add(300*time.Second))
	if c.Seen(key(1), t0.Add(301*time.Second)) {
		t.Fatal("key kept for ever: old generations are never retired")
	}
}

func TestConcurrent(t *testing.T) {
	c := New(1<<12, time.Minute)
	now := time.Now()
	var wg sync.WaitGroup
	dups := make([]int, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if c.Seen(key(i), now) {
					dups[g]++
				}
			}
		}(g)
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

func BenchmarkSeen(b *testing.B) {
	c := New(65536, 2*time.Minute)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Seen(key(i), now)
	}
}
