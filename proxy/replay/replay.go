// Package replay remembers recent handshakes so a captured one cannot be
// replayed: FakeTLS client randoms and obfuscated2 header keys.
//
// The cache is bounded: two generations of at most size/2 entries each. A
// generation is retired when it is full or older than the window, so an
// entry is remembered for at least the window unless more than size/2
// handshakes arrive within it, and memory never exceeds size entries.
package replay

import (
	"sync"
	"time"
)

// Key identifies one handshake.
type Key [16]byte

// Cache is a bounded, two-generation set of recent handshake keys. It is
// safe for concurrent use.
type Cache struct {
	mu        sync.Mutex
	cur, prev map[Key]struct{}
	half      int
	window    time.Duration
	started   time.Time
}

// New returns a cache for up to size keys (at least 2) remembered for at
// least window while it is not overrun.
func New(size int, window time.Duration) *Cache {
	if size < 2 {
		size = 2
	}
	half := size / 2
	return &Cache{
		cur:    make(map[Key]struct{}, half),
		prev:   map[Key]struct{}{},
		half:   half,
		window: window,
	}
}

// Seen reports whether k was already recorded, and records it.
func (c *Cache) Seen(k Key, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[k]; ok {
		return true
	}
	if _, ok := c.prev[k]; ok {
		return true
	}
	if c.started.IsZero() {
		c.started = now
	}
	if len(c.cur) >= c.half || now.Sub(c.started) > c.window {
		c.prev, c.cur = c.cur, make(map[Key]struct{}, min(c.half, 2*len(c.cur)+16))
		c.started = now
	}
	c.cur[k] = struct{}{}
	return false
}

// Len returns the number of keys held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.prev)
}
