// Package ratelimit is the token bucket that holds a user to its
// rate_limit: one bucket per user, shared by both directions of all the
// user's connections.
//
// It sits in the relay path, so Take is called after every read: it is one
// atomic compare-and-swap loop (the generic cell rate algorithm, GCRA,
// which is a token bucket kept as one "theoretical arrival time"), takes no
// lock and allocates nothing. The caller sleeps for the returned wait
// before its next read, while holding no buffer.
package ratelimit

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Bucket limits a byte rate. The zero value is not usable: use New.
type Bucket struct {
	// rate is in bytes per second.
	rate uint64
	// burst is how far ahead of now the arrival time may run before a
	// taker must wait: the bucket's capacity, as a duration.
	burst int64
	// tat is the theoretical arrival time, in nanoseconds of the clock.
	tat atomic.Int64
}

// New returns a bucket that lets rate bytes per second through on
// average, and bursts of up to burst bytes at once. burst below one
// second's worth of 64 KiB is raised to it, so a single read never waits
// on its own.
func New(rate, burst uint64) *Bucket {
	if rate == 0 {
		rate = 1
	}
	burst = max(burst, 64<<10)
	b := &Bucket{rate: rate}
	b.burst = b.cost(burst)
	b.tat.Store(math.MinInt64 / 2) // a full bucket at any clock reading
	return b
}

// cost is the time n bytes take at the bucket's rate, in nanoseconds,
// computed in 128 bits so neither high rates nor large n lose precision.
func (b *Bucket) cost(n uint64) int64 {
	hi, lo := bits.Mul64(n, uint64(time.Second))
	if hi >= b.rate {
		return math.MaxInt64 / 4 // centuries: never reached by real reads
	}
	q, _ := bits.Div64(hi, lo, b.rate)
	return int64(min(q, math.MaxInt64/4))
}

// Take accounts n bytes moved at now (nanoseconds of a monotonic clock)
// and returns how long the caller should wait before moving more, zero
// while the bucket holds tokens. The debt is shared: concurrent takers
// queue behind each other, so the sum of their traffic keeps to the rate.
func (b *Bucket) Take(n int, now int64) time.Duration {
	c := b.cost(uint64(n))
	for {
		tat := b.tat.Load()
		start := max(tat, now-b.burst)
		next := start + c
		if b.tat.CompareAndSwap(tat, next) {
			if wait := next - now; wait > 0 {
				return time.Duration(wait)
			}
			return 0
		}
	}
}
