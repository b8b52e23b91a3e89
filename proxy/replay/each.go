package replay

import "time"

// Each calls f with every key remembered at now and its expiry, until f
// returns false: what a fleet's shared store (Shared) is given back when it
// lost its data. The keys are copied first, so f may take its time and the
// cache is not held meanwhile.
func (c *Cache) Each(now time.Time, f func(k Key, expires time.Time) bool) {
	c.mu.Lock()
	c.expire(now.UnixNano())
	live := make([]entry, len(c.order))
	copy(live, c.order)
	c.mu.Unlock()
	for _, e := range live {
		if !f(e.k, time.Unix(0, e.exp)) {
			return
		}
	}
}
