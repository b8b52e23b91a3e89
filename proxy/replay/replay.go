// Package replay remembers recent handshakes so a captured one cannot be
// replayed: FakeTLS client randoms and obfuscated2 header keys. The engine
// (package proxy) asks it about every authenticated handshake, before
// answering.
//
// Each key is remembered until its own expiry, which the caller derives
// from the window in which the handshake would be accepted again: for a
// FakeTLS hello, its timestamp plus the accepted clock skew, after which
// the timestamp check refuses it anyway; for handshakes without a usable
// timestamp, a fixed window. So the cache forgets nothing a replay could
// still use, and keeps nothing it cannot. It is bounded: when full, the
// key closest to its expiry (of equal ones, the oldest) makes room, and that eviction is counted
// (EvictFull): the sign the cache is too small for the handshake rate.
//
// The cache can be written to a file and read back (Save, Read), so that a
// restart does not forget the handshakes still inside their window.
package replay

import (
	"sync"
	"time"
)

// Key identifies one handshake.
type Key [16]byte

// EvictReason tells why a key left the cache.
type EvictReason int

// The eviction reasons.
const (
	// EvictExpired: the key's window passed; a replay is refused by its
	// timestamp from then on.
	EvictExpired EvictReason = iota
	// EvictFull: the cache was full; a replay of this key would now pass.
	EvictFull
	// NumEvictReasons is the number of reasons, for arrays indexed by one.
	NumEvictReasons
)

var evictNames = [NumEvictReasons]string{"expired", "full"}

// String names the reason, as in metric labels.
func (r EvictReason) String() string {
	if r >= 0 && r < NumEvictReasons {
		return evictNames[r]
	}
	return "unknown"
}

// Stats describe the cache.
type Stats struct {
	Entries  int                     // keys remembered now
	Capacity int                     // the most keys it holds
	Evicted  [NumEvictReasons]uint64 // keys that left, by reason
}

// Cache is a bounded set of handshake keys, each remembered until its own
// expiry. It is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	size    int
	keys    map[Key]int64 // expiry, unix nanoseconds
	order   expiryHeap
	seq     uint64 // insertion order, which breaks ties between equal expiries
	evicted [NumEvictReasons]uint64
}

// New returns an empty cache for up to size keys (at least 1).
func New(size int) *Cache {
	size = max(size, 1)
	return &Cache{size: size, keys: make(map[Key]int64, min(size, 4096))}
}

// Seen reports whether k is remembered at now. If it is not, it records k
// until expires (included) and reports false. An expires not after now
// records nothing: such a handshake could not be accepted again.
func (c *Cache) Seen(k Key, now, expires time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := now.UnixNano()
	c.expire(t)
	if _, ok := c.keys[k]; ok {
		return true
	}
	if !expires.After(now) {
		return false
	}
	c.add(k, expires.UnixNano())
	return false
}

// add records k until exp; the caller holds mu and has checked k is absent.
func (c *Cache) add(k Key, exp int64) {
	if len(c.keys) >= c.size {
		delete(c.keys, c.order.pop().k)
		c.evicted[EvictFull]++
	}
	c.keys[k] = exp
	c.seq++
	c.order.push(entry{exp: exp, seq: c.seq, k: k})
}

// expire drops the keys whose expiry is before t.
func (c *Cache) expire(t int64) {
	for len(c.order) > 0 && c.order[0].exp < t {
		delete(c.keys, c.order.pop().k)
		c.evicted[EvictExpired]++
	}
}

// Len returns the number of keys held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// Stats returns the cache's size and evictions at now (expired keys are
// dropped first).
func (c *Cache) Stats(now time.Time) Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now.UnixNano())
	return Stats{Entries: len(c.keys), Capacity: c.size, Evicted: c.evicted}
}

// entry is a key and its expiry in the heap.
type entry struct {
	exp int64
	seq uint64
	k   Key
}

// before orders entries: the sooner expiry first, then the older.
func (e entry) before(o entry) bool { return e.exp < o.exp || e.exp == o.exp && e.seq < o.seq }

// expiryHeap is a binary min-heap of entries by expiry (its own, so that
// nothing is boxed in an interface per handshake).
type expiryHeap []entry

func (h *expiryHeap) push(e entry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].before(s[p]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *expiryHeap) pop() entry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(s) && s[l].before(s[small]) {
			small = l
		}
		if r := l + 1; r < len(s) && s[r].before(s[small]) {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}
