package redisstate

import (
	"net/netip"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/users"
)

// UsersLedger is package users' Ledger over the store: connections and
// client prefixes through Leases (max_connections and max_ips fleet-wide),
// and the users' meters synced by Usage (quotas fleet-wide). The meters
// stay local atomics: the relay's accounting never waits for the store.
type UsersLedger struct {
	s *Store

	mu     sync.Mutex
	meters map[string]*users.Meter
}

var _ users.Ledger = (*UsersLedger)(nil)

// UsersLedger returns the users' ledger of the fleet; there is one per
// store.
func (s *Store) UsersLedger() *UsersLedger {
	s.ledgerOnce.Do(func() { s.users = &UsersLedger{s: s, meters: map[string]*users.Meter{}} })
	return s.users
}

// Meter implements users.Ledger: the user's meter, synced with the
// fleet's totals from now on.
func (l *UsersLedger) Meter(name string) *users.Meter {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.meters[name]
	if m == nil {
		m = new(users.Meter)
		l.meters[name] = m
		l.s.usage.Track(name, usersMeter{m})
	}
	return m
}

// Open implements users.Ledger.
func (l *UsersLedger) Open(name string, from netip.Prefix, maxConns, maxIPs int) users.Reason {
	switch l.s.leases.Open(name, from, maxConns, maxIPs) {
	case OverConnections:
		return users.MaxConnections
	case OverIPs:
		return users.MaxIPs
	}
	return users.Admitted
}

// Close implements users.Ledger.
func (l *UsersLedger) Close(name string, from netip.Prefix) { l.s.leases.Close(name, from) }

// Holding implements users.Ledger: this replica's connections and
// prefixes of the user.
func (l *UsersLedger) Holding(name string) (conns, ips int) { return l.s.leases.Holding(name) }

// Forget implements users.Ledger.
func (l *UsersLedger) Forget(name string) {
	l.mu.Lock()
	delete(l.meters, name)
	l.mu.Unlock()
	l.s.usage.Untrack(name)
	l.s.leases.Forget(name)
}

// Names implements users.Ledger.
func (l *UsersLedger) Names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.meters))
	for n := range l.meters {
		out = append(out, n)
	}
	return out
}

// usersMeter is a users.Meter as Usage syncs it.
type usersMeter struct{ m *users.Meter }

func (u usersMeter) Moved() uint64 {
	in, out, _ := u.m.Totals()
	return in + out
}

// Period is the period the meter counts, once it counts one: a meter is
// given its period by its first look (admission of a user with a quota, or
// the admin API), until then its state is the zero month.
func (u usersMeter) Period() (Period, uint64, bool) {
	st := u.m.State()
	p, err := users.ParsePeriod(st.Period)
	if err != nil || p == users.Month && st.Start == 0 {
		return Period{}, 0, false
	}
	var end int64
	if p != users.Total {
		end = p.End(time.Unix(st.Start, 0)).Unix()
	}
	return Period{Name: st.Period, Start: st.Start, End: end}, st.Used, true
}

// Adjust adds what the other replicas counted (delta > 0) with Restore,
// which adds saved bytes on top of the counted ones; a smaller fleet total
// (a quota reset, or a total reseeded lower) restarts the period at the
// new value. Bytes counted between the two steps of the latter are not in
// the meter until the next flush brings them back with the fleet's total.
func (u usersMeter) Adjust(p Period, delta int64) {
	st := u.m.State()
	if st.Period != p.Name || st.Start != p.Start || delta == 0 {
		return
	}
	if delta > 0 {
		u.m.Restore(users.MeterState{Period: p.Name, Start: p.Start, Used: uint64(delta)})
		return
	}
	period, err := users.ParsePeriod(p.Name)
	if err != nil {
		return
	}
	target := max(int64(st.Used)+delta, 0)
	u.m.Reset(period, time.Unix(p.Start, 0))
	u.m.Restore(users.MeterState{Period: p.Name, Start: p.Start, Used: uint64(target)})
}
