package unauth

import (
	"github.com/mtproxy/mtproxy/internal/enum"
	"net/netip"
	"sync"
)

// Reason says why a connection was evicted: a closed set, usable as a
// metric label.
type Reason uint8

// Eviction reasons.
const (
	ReasonTotal Reason = iota // the total limit was reached
	ReasonPerIP               // its source's limit was reached
	numReasons
)

// NumReasons is the size of the Reason set.
const NumReasons = int(numReasons)

var reasonNames = [...]string{ReasonTotal: "limit", ReasonPerIP: "per_ip"}

// One name per Reason: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(reasonNames)-int(numReasons)]

// String returns the Reason's name.
func (r Reason) String() string { return enum.Name(reasonNames[:], r) }

// Entry is one tracked connection.
type Entry struct {
	key   netip.Prefix
	evict func(Reason)
	// links in the tracker's list of all entries and in its source's list,
	// oldest first; nil prev/next at the ends.
	prev, next     *Entry
	prevIP, nextIP *Entry
	tracked        bool
}

// source is the entries of one source.
type source struct {
	n            int
	oldest, last *Entry
}

// Tracker counts unauthenticated connections and evicts the oldest at its
// limits. Its methods are safe for concurrent use.
type Tracker struct {
	max, perIP int

	mu           sync.Mutex
	n            int
	oldest, last *Entry
	bySource     map[netip.Prefix]*source
}

// New returns a Tracker holding at most max connections, perIP of them
// from one source. Both must be positive, perIP at most max.
func New(max, perIP int) *Tracker {
	return &Tracker{max: max, perIP: min(perIP, max), bySource: make(map[netip.Prefix]*source)}
}

// Len returns the connections tracked now.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// Limits returns the total and per-source limits.
func (t *Tracker) Limits() (total, perIP int) { return t.max, t.perIP }

// SourceKey is the source a client address counts against: the address
// for IPv4, its /64 for IPv6.
func SourceKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}

// Admit tracks a new connection from addr; evict is called at most once,
// without the tracker's lock held, if the connection is evicted later or
// to make room now (in which case Admit's own caller is unaffected: the
// evicted ones are older). The connection must call Release when it ends
// or authenticates.
func (t *Tracker) Admit(addr netip.Addr, evict func(Reason)) *Entry {
	e := &Entry{key: SourceKey(addr), evict: evict, tracked: true}
	var victim *Entry
	var reason Reason
	t.mu.Lock()
	switch s := t.bySource[e.key]; {
	case s != nil && s.n >= t.perIP:
		victim, reason = s.oldest, ReasonPerIP
	case t.n >= t.max:
		victim, reason = t.oldest, ReasonTotal
	}
	if victim != nil {
		t.removeLocked(victim)
	}
	s := t.bySource[e.key] // again: the eviction may have emptied it
	if s == nil {
		s = &source{}
		t.bySource[e.key] = s
	}
	t.appendLocked(e, s)
	t.mu.Unlock()
	if victim != nil {
		victim.evict(reason)
	}
	return e
}

func (t *Tracker) appendLocked(e *Entry, s *source) {
	e.prev = t.last
	if t.last != nil {
		t.last.next = e
	} else {
		t.oldest = e
	}
	t.last = e
	e.prevIP = s.last
	if s.last != nil {
		s.last.nextIP = e
	} else {
		s.oldest = e
	}
	s.last = e
	t.n++
	s.n++
}

// removeLocked unlinks e and marks it evicted or released.
func (t *Tracker) removeLocked(e *Entry) {
	if !e.tracked {
		return
	}
	e.tracked = false
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		t.oldest = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		t.last = e.prev
	}
	s := t.bySource[e.key]
	if e.prevIP != nil {
		e.prevIP.nextIP = e.nextIP
	} else {
		s.oldest = e.nextIP
	}
	if e.nextIP != nil {
		e.nextIP.prevIP = e.prevIP
	} else {
		s.last = e.prevIP
	}
	e.prev, e.next, e.prevIP, e.nextIP = nil, nil, nil, nil
	t.n--
	if s.n--; s.n == 0 {
		delete(t.bySource, e.key)
	}
}

// Release stops tracking e; it is idempotent and safe after an eviction.
func (t *Tracker) Release(e *Entry) {
	t.mu.Lock()
	t.removeLocked(e)
	t.mu.Unlock()
}
