package webproxy

import "sync"

// budget bounds bytes held: a session's, whose parent is the carrier's.
// Taking from a budget takes from its parent too.
type budget struct {
	parent *budget
	max    int64

	mu   sync.Mutex
	used int64
	wake chan struct{} // closed when bytes are given back; nil when nobody waits
}

// reserve takes up to n bytes from b and its parents (exactly n, or
// nothing, when !partial). When it gets nothing it returns a channel
// closed at the next give to the budget that was short, and that budget.
func (b *budget) reserve(n int64, partial bool) (int64, <-chan struct{}, *budget) {
	b.mu.Lock()
	free := b.max - b.used
	if free <= 0 || (!partial && free < n) {
		ch := b.waitLocked()
		b.mu.Unlock()
		return 0, ch, b
	}
	got := min(n, free)
	b.used += got
	b.mu.Unlock()
	if b.parent == nil {
		return got, nil, nil
	}
	pgot, ch, short := b.parent.reserve(got, partial)
	if pgot < got {
		b.release(got - pgot)
	}
	return pgot, ch, short
}

// give returns n bytes to b and its parents and wakes their waiters.
func (b *budget) give(n int64) {
	if n <= 0 {
		return
	}
	b.release(n)
	if b.parent != nil {
		b.parent.give(n)
	}
}

// drain gives back everything b holds.
func (b *budget) drain() {
	b.mu.Lock()
	n := b.used
	b.mu.Unlock()
	b.give(n)
}

// release returns n bytes to b alone.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	b.mu.Unlock()
}

func (b *budget) waitLocked() <-chan struct{} {
	if b.wake == nil {
		b.wake = make(chan struct{})
	}
	return b.wake
}
