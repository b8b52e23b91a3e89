package middle

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// ErrMemoryBudget: the client was closed to keep the layer's memory under
// MemoryBudget (it was the slowest to finish its packet, or behind on its
// answers, when the budget ran out).
var ErrMemoryBudget = errors.New("middle: client shed to stay within the memory budget")

// budget bounds the memory the layer holds for clients: the buffers of
// the packets they are sending (uploads) and the answers queued for them
// (the counters' queued bytes). Under the limit nothing is refused. Above
// it, the slow are shed first: an answer for a client that is already
// behind (its queue not empty) closes that client, and a client needing a
// larger buffer for its packet closes whichever client has held a grown
// buffer longest (a trickling one), possibly itself. A client keeping up
// always gets its next answer, and a buffer of framing.PooledBase bytes,
// so that the budget cannot be used to starve new clients.
type budget struct {
	limit   int64
	uploads atomic.Int64 // bytes of upload buffers lent now
	queued  *atomic.Int64
	shed    paddedCounter

	mu      sync.Mutex
	holders map[*uploadBufs]struct{} // clients holding a grown buffer
}

func newBudget(limit int64, queued *atomic.Int64) *budget {
	return &budget{limit: limit, queued: queued, holders: map[*uploadBufs]struct{}{}}
}

// used is the memory counted against the limit now.
func (b *budget) used() int64 { return b.uploads.Load() + b.queued.Load() }

// admitAnswer decides whether n more answer bytes may be queued for a
// client with behind bytes already queued.
func (b *budget) admitAnswer(n int, behind int) bool {
	return behind == 0 || b.used()+int64(n) <= b.limit
}

// grow accounts n more bytes for u, a client growing its packet buffer
// beyond the base size. Over the limit it sheds the client that has held a
// grown buffer longest: when that is u, grow refuses.
func (b *budget) grow(u *uploadBufs, n int) bool {
	over := b.used()+int64(n) > b.limit
	b.mu.Lock()
	var victim *uploadBufs
	if over {
		victim = u
		if u.since.IsZero() {
			victim = nil // not holding yet: any holder is older
		}
		for h := range b.holders {
			if victim == nil || h.since.Before(victim.since) {
				victim = h
			}
		}
	}
	if victim != nil {
		delete(b.holders, victim)
		victim.since = time.Time{}
	}
	if victim != u && u.since.IsZero() {
		u.since = time.Now()
		b.holders[u] = struct{}{}
	}
	b.mu.Unlock()
	if victim == nil {
		return true
	}
	b.shed.Add(1)
	if victim == u {
		return false
	}
	victim.ec.abort(ErrMemoryBudget)
	return true
}

// release unregisters u: it is back to the base buffer, or gone.
func (b *budget) release(u *uploadBufs) {
	b.mu.Lock()
	if !u.since.IsZero() {
		u.since = time.Time{}
		delete(b.holders, u)
	}
	b.mu.Unlock()
}

// uploadBufs lends one client's packet reader its buffers from the
// layer's pool, accounted in the budget. It is used by the client's
// reader goroutine only.
type uploadBufs struct {
	ec      *extConn
	since   time.Time // when it started holding a grown buffer (zero: it does not); guarded by the budget's mu
	held    int       // bytes lent now
	holding bool      // registered with the budget (a hint: the budget may have let go first)
}

// Get lends a buffer of at least n bytes; beyond the base size it needs
// the budget's consent.
func (u *uploadBufs) Get(n int) (*[]byte, error) {
	m := u.ec.m
	b := m.upbufs.get(n)
	c := cap(*b)
	if n > framing.PooledBase {
		if !m.budget.grow(u, c) {
			m.upbufs.put(b)
			return nil, ErrMemoryBudget
		}
		u.holding = true
	}
	u.held += c
	m.budget.uploads.Add(int64(c))
	return b, nil
}

// Put takes a buffer back.
func (u *uploadBufs) Put(b *[]byte) {
	m := u.ec.m
	c := cap(*b)
	u.held -= c
	m.budget.uploads.Add(-int64(c))
	m.upbufs.put(b)
	if u.holding && u.held <= framing.PooledBase {
		m.budget.release(u)
		u.holding = false
	}
}
