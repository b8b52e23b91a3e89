package users

import (
	"cmp"
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/users/ratelimit"
	"go.uber.org/zap"
)

// Defaults of Options.
const (
	// DefaultGrace is how long the connections of a removed, disabled,
	// rotated or expired user may go on before they are closed.
	DefaultGrace = 30 * time.Second
	// DefaultHints is the number of slots remembering which user a client
	// address authenticated as last (about 8 bytes each).
	DefaultHints = 1 << 16
)

// Options configure a Registry. Zero values are defaults.
type Options struct {
	// Ledger keeps connections, addresses and bytes. Default: NewLocal().
	Ledger Ledger
	// Now is the clock of expiry and quota periods. Default time.Now.
	Now func() time.Time
	// Grace bounds how long a revoked user's connections drain. Default
	// DefaultGrace.
	Grace time.Duration
	// Hints is the size of the returning-client table. Default DefaultHints.
	Hints int
	// Logger receives the registry's logs. Default: none.
	Logger *zap.Logger
}

// Registry is the live set of users: an immutable Snapshot of their keys
// swapped atomically on every change, the admission of authenticated
// clients, and the leases of their connections.
type Registry struct {
	o     Options
	seed  maphash.Seed
	epoch time.Time // origin of the rate limiter's monotonic clock

	mu     sync.Mutex // serialises changes: Apply, Reorder, Tick
	byName map[string]*entry
	specs  []Spec // as applied, in their order
	// retiring holds, by name, the removed or rotated users whose grace
	// period runs: one restored with the same secret before it ends gets
	// its entry back, with its connections and usage.
	retiring map[string]*entry
	// after runs f once d has passed: time.AfterFunc, a test's hand.
	after func(d time.Duration, f func())

	snap    atomic.Pointer[Snapshot]
	hints   []atomic.Pointer[entry]
	dirty   atomic.Bool // a user was seen since the last Reorder
	rejects [NumReasons]atomic.Uint64
	applied atomic.Uint64 // counts Apply calls: the users' generation

	series series
}

// entry is one user while it keeps its key. A rotated or removed user's
// entry is retired: it admits nobody and its leases drain.
type entry struct {
	name   string
	key    [16]byte
	meter  *Meter
	spec   atomic.Pointer[Spec]
	quota  atomic.Uint64 // spec's quota, read on every accounting
	bucket atomic.Pointer[ratelimit.Bucket]
	seen   atomic.Int64 // unix nanoseconds of the last authentication
	order  int          // position in the applied set

	mu      sync.Mutex
	leases  map[*Lease]struct{}
	retired bool
	drained bool   // its expiry has been acted on
	revived uint64 // counts restorations (restored, re-enabled): a drain begun before one is void
}

// New returns an empty registry.
func New(o Options) *Registry {
	if o.Ledger == nil {
		o.Ledger = NewLocal()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Hints <= 0 {
		o.Hints = DefaultHints
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	r := &Registry{o: o, seed: maphash.MakeSeed(), epoch: time.Now(), byName: map[string]*entry{},
		retiring: map[string]*entry{}, hints: make([]atomic.Pointer[entry], o.Hints),
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
	r.snap.Store(&Snapshot{pos: map[*entry]int{}})
	return r
}

// Ledger returns the registry's ledger.
func (r *Registry) Ledger() Ledger { return r.o.Ledger }

// Now returns the registry's clock reading.
func (r *Registry) Now() time.Time { return r.o.Now() }

func (e *entry) setSpec(s *Spec) {
	old := e.spec.Load()
	e.spec.Store(s)
	e.quota.Store(s.Quota)
	if old == nil || old.RateLimit != s.RateLimit {
		if s.RateLimit > 0 {
			e.bucket.Store(ratelimit.New(s.RateLimit, s.RateLimit))
		} else {
			e.bucket.Store(nil)
		}
	}
	e.mu.Lock()
	if old == nil || !old.Expires.Equal(s.Expires) {
		e.drained = false
	}
	e.mu.Unlock()
}

// Apply makes specs the set of users, validated as a whole: on an error
// nothing changes. Users whose key is unchanged keep their entry (and
// connections) with the new limits; a disabled user's connections drain; a
// removed user, or one whose secret changed, is retired and its
// connections drain within the grace period. Nobody else is touched.
//
// A revocation takes effect at the end of the grace period, and only if it
// still holds then: a user restored with the same secret, or enabled
// again, before it ends keeps its connections, and a removed user's usage
// is forgotten only then. So a users file read while an editor rewrote it
// in place (empty for a moment) costs no connection and no usage.
func (r *Registry) Apply(specs []Spec) error {
	if err := ValidateSet(specs); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	next := make(map[string]*entry, len(specs))
	var retire, drain []*entry
	for i := range specs {
		s := specs[i]
		e := r.byName[s.Name]
		if e != nil && e.key != s.Key {
			retire = append(retire, e) // rotated
			e = nil
		}
		switch old := r.retiring[s.Name]; {
		case e == nil && old != nil && old.key == s.Key:
			e = old // restored within its grace period
			delete(r.retiring, s.Name)
			e.revive()
		case e == nil:
			e = &entry{name: s.Name, key: s.Key, meter: r.o.Ledger.Meter(s.Name), leases: map[*Lease]struct{}{}}
		}
		if old := e.spec.Load(); old != nil && old.Enabled && !s.Enabled {
			drain = append(drain, e)
		} else if old != nil && !old.Enabled && s.Enabled {
			e.revive()
		}
		e.setSpec(&s)
		e.order = i
		next[s.Name] = e
	}
	for name, e := range r.byName {
		if next[name] == nil {
			retire = append(retire, e)
		}
	}
	for _, e := range retire {
		e.mu.Lock()
		e.retired = true
		e.mu.Unlock()
		r.retiring[e.name] = e
		r.drain(e)
	}
	for _, e := range drain {
		r.drain(e)
	}
	r.byName = next
	r.specs = slices.Clone(specs)
	r.applied.Add(1)
	r.publish()
	r.o.Logger.Info("users applied", zap.Int("users", len(specs)), zap.Int("revoked", len(retire)+len(drain)))
	return nil
}

// Specs returns the applied users, in their order.
func (r *Registry) Specs() []Spec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.specs)
}

// specsGen returns the applied users and their generation, which changes
// with every Apply.
func (r *Registry) specsGen() ([]Spec, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.specs), r.applied.Load()
}

// publish builds and swaps in a new snapshot: the keys ordered by the
// last authentication, most recent first, then in their applied order.
// r.mu is held.
func (r *Registry) publish() {
	es := make([]*entry, 0, len(r.byName))
	for _, e := range r.byName {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *entry) int {
		if c := cmp.Compare(b.seen.Load(), a.seen.Load()); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	s := &Snapshot{keys: make([][16]byte, len(es)), entries: es, pos: make(map[*entry]int, len(es))}
	for i, e := range es {
		s.keys[i] = e.key
		s.pos[e] = i
	}
	r.snap.Store(s)
}

// Reorder republishes the snapshot in most-recently-used order if a user
// authenticated since the last call. The registry's Run loop calls it
// every second.
func (r *Registry) Reorder() {
	if !r.dirty.Swap(false) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.publish()
}

// Snapshot returns the current set of keys. It is immutable: a handshake
// uses one snapshot from start to end.
func (r *Registry) Snapshot() *Snapshot { return r.snap.Load() }

// Snapshot is an immutable set of user keys in the order a handshake
// should try them.
type Snapshot struct {
	keys    [][16]byte
	entries []*entry
	pos     map[*entry]int
}

// Keys returns the keys in try order; the caller must not modify them.
func (s *Snapshot) Keys() [][16]byte { return s.keys }

// Len returns the number of users.
func (s *Snapshot) Len() int { return len(s.keys) }

// Name returns the name of the user of key i.
func (s *Snapshot) Name(i int) string { return s.entries[i].name }

// slot returns the hint slot of a client prefix.
func (r *Registry) slot(p netip.Prefix) *atomic.Pointer[entry] {
	b := p.Addr().As16()
	return &r.hints[maphash.Bytes(r.seed, b[:])%uint64(len(r.hints))]
}

// Hint returns the index in s of the user the client address authenticated
// as last, or -1: a returning client's key is tried first.
func (r *Registry) Hint(s *Snapshot, addr netip.Addr) int {
	if !addr.IsValid() {
		return -1
	}
	e := r.slot(Prefix(addr)).Load()
	if e == nil {
		return -1
	}
	if i, ok := s.pos[e]; ok {
		return i
	}
	return -1
}

// Rejections returns the clients refused so far, by reason (Admitted
// counts the admitted ones).
func (r *Registry) Rejections() [NumReasons]uint64 {
	var out [NumReasons]uint64
	for i := range out {
		out[i] = r.rejects[i].Load()
	}
	return out
}
