package ratelimit

import (
	"sync"
	"testing"
	"time"
)

func TestBucketKeepsTheRateAfterTheBurst(t *testing.T) {
	const rate = 1 << 20 // 1 MiB/s
	b := New(rate, rate)
	now := int64(0) // the clock may start at zero
	// A full second's burst passes without waiting.
	var waited time.Duration
	for i := 0; i < 64; i++ {
		waited += b.Take(16<<10, now)
	}
	if waited != 0 {
		t.Fatalf("the burst waited %v", waited)
	}
	// Then every 16 KiB costs 1/64 s: the waits grow by that much each.
	w1 := b.Take(16<<10, now)
	w2 := b.Take(16<<10, now)
	if w1 <= 0 || w2-w1 != time.Second/64 {
		t.Fatalf("waits %v then %v, want steps of %v", w1, w2, time.Second/64)
	}
	// Sending at exactly the rate from then on keeps the wait constant.
	now += int64(w2)
	if w := b.Take(16<<10, now); w != time.Second/64 {
		t.Fatalf("at the rate, wait %v", w)
	}
	// An idle second refills the bucket.
	now += int64(3 * time.Second)
	if w := b.Take(16<<10, now); w != 0 {
		t.Fatalf("after idling, wait %v", w)
	}
}

func TestBucketIsSharedByConcurrentTakers(t *testing.T) {
	const rate = 10 << 20
	b := New(rate, 0)
	now := int64(time.Hour)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				b.Take(1000, now)
			}
		}()
	}
	wg.Wait()
	// 8 MB taken at one instant: the debt is 8 MB minus the 64 KiB burst,
	// at 10 MiB/s.
	got := time.Duration(b.tat.Load() - now)
	debt := float64(8_000_000 - 64<<10)
	want := time.Duration(debt / rate * float64(time.Second))
	if d := got - want; d < -10*time.Microsecond || d > 10*time.Microsecond {
		t.Fatalf("debt %v, want %v", got, want)
	}
}

func TestHighRatesKeepPrecision(t *testing.T) {
	b := New(5_000_000_000, 0) // 5 GB/s: 0.2 ns per byte
	if c := b.cost(5_000_000_000); c < int64(time.Second)-1000 || c > int64(time.Second)+1000 {
		t.Fatalf("a second's bytes cost %v", time.Duration(c))
	}
}

func TestTakeAllocatesNothing(t *testing.T) {
	b := New(1<<20, 0)
	if n := testing.AllocsPerRun(1000, func() { b.Take(100, 1) }); n != 0 {
		t.Fatalf("%v allocations per Take", n)
	}
}
