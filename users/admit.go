package users

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Admit decides whether the client at addr, which authenticated with key i
// of snapshot s, may connect: the user must be enabled, unexpired, under
// its quota, max_connections and max_ips. On success it returns a Lease the
// caller must Release when the connection ends. A refusal is counted by
// reason; the caller treats it as a failed handshake.
//
// Whatever the outcome, the client's address now points at this user, so
// its next handshake tries this key first.
func (r *Registry) Admit(s *Snapshot, i int, addr netip.Addr) (*Lease, Reason) {
	e := s.entries[i]
	now := r.o.Now()
	from := Prefix(addr)
	if addr.IsValid() {
		r.slot(from).Store(e)
	}
	// Mark the user recently used, at most once a second per user so that
	// busy users do not bounce the cache line.
	if ns := now.UnixNano(); ns-e.seen.Load() > int64(time.Second) {
		e.seen.Store(ns)
		r.dirty.Store(true)
	}
	reason := r.check(e, now, from)
	if reason != Admitted {
		r.rejects[reason].Add(1)
		return nil, reason
	}
	l := &Lease{r: r, e: e, from: from, done: make(chan struct{})}
	e.mu.Lock()
	retired := e.retired
	if !retired {
		e.leases[l] = struct{}{}
	}
	e.mu.Unlock()
	if retired { // removed or rotated while this client's handshake ran
		r.o.Ledger.Close(e.name, from)
		r.rejects[Disabled].Add(1)
		return nil, Disabled
	}
	e.meter.opened.Add(1)
	r.rejects[Admitted].Add(1)
	return l, Admitted
}

func (r *Registry) check(e *entry, now time.Time, from netip.Prefix) Reason {
	sp := e.spec.Load()
	switch {
	case !sp.Enabled:
		return Disabled
	case sp.Expired(now):
		return Expired
	case sp.Quota > 0 && e.meter.Used(sp.QuotaPeriod, now) >= sp.Quota:
		return Quota
	}
	return r.o.Ledger.Open(e.name, from, sp.MaxConnections, sp.MaxIPs)
}

// Lease is one admitted connection of a user. Its methods are safe for
// concurrent use: the relay's two directions share it.
type Lease struct {
	r        *Registry
	e        *entry
	from     netip.Prefix
	done     chan struct{}
	doneOnce sync.Once
	released atomic.Bool

	mu       sync.Mutex
	revoked  bool
	onRevoke func()
}

// Name returns the user's name.
func (l *Lease) Name() string { return l.e.name }

// Tag returns the user's ad tag (32 hex digits), or "".
func (l *Lease) Tag() string { return l.e.spec.Load().Tag }

// Done is closed when the connection must end: its user was removed,
// disabled, rotated or expired, and the grace period is over.
func (l *Lease) Done() <-chan struct{} { return l.done }

// Account counts bytes moved from (in) and to (out) the client. It
// returns how long to wait before moving more, for the user's rate limit,
// and ok false once the user's quota is used up (the connection should
// end). It takes no lock and allocates nothing.
func (l *Lease) Account(in, out int) (wait time.Duration, ok bool) {
	e := l.e
	used := e.meter.Add(uint64(in), uint64(out))
	ok = true
	if q := e.quota.Load(); q > 0 && used > q {
		ok = false
	}
	if b := e.bucket.Load(); b != nil {
		wait = b.Take(in+out, int64(time.Since(l.r.epoch)))
	}
	return wait, ok
}

// Release ends the lease; it may be called more than once.
func (l *Lease) Release() {
	if l.released.Swap(true) {
		return
	}
	l.e.mu.Lock()
	delete(l.e.leases, l)
	l.e.mu.Unlock()
	l.r.o.Ledger.Close(l.e.name, l.from)
	l.doneOnce.Do(func() { close(l.done) })
}

// OnRevoke registers f to be called once when the lease is revoked (its
// user removed, disabled, rotated or expired, and the grace period over),
// or at once if it was already.
func (l *Lease) OnRevoke(f func()) {
	l.mu.Lock()
	if !l.revoked {
		l.onRevoke = f
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	f()
}

// AdTag returns the user's ad tag, or nil.
func (l *Lease) AdTag() *[16]byte {
	t := l.e.spec.Load().Tag
	if t == "" {
		return nil
	}
	k, err := ParseKey(t)
	if err != nil {
		return nil
	}
	return &k
}

func (l *Lease) revoke() {
	l.mu.Lock()
	f := l.onRevoke
	first := !l.revoked
	l.revoked, l.onRevoke = true, nil
	l.mu.Unlock()
	l.doneOnce.Do(func() { close(l.done) })
	if first && f != nil {
		f()
	}
}

// Tick does what time alone changes: it starts quota periods over at
// their boundaries and drains the connections of users whose expiry has
// passed. The registry's Run loop calls it every second.
func (r *Registry) Tick() {
	now := r.o.Now()
	r.mu.Lock()
	es := make([]*entry, 0, len(r.byName))
	for _, e := range r.byName {
		es = append(es, e)
	}
	r.mu.Unlock()
	for _, e := range es {
		sp := e.spec.Load()
		if sp.Quota > 0 {
			e.meter.Used(sp.QuotaPeriod, now)
		}
		if !sp.Expired(now) {
			continue
		}
		e.mu.Lock()
		act := !e.drained && len(e.leases) > 0
		e.drained = e.drained || act
		e.mu.Unlock()
		if act {
			r.drain(e)
		}
	}
}
