package users

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Ledger keeps what users hold and have used: their open connections and
// client addresses, and their bytes per quota period. [Local] keeps them in
// this process; a fleet-wide implementation (shared by several proxies)
// can take its place behind this interface.
//
// Open and Close are called once per connection; the per-read accounting
// goes through the *Meter a Ledger hands out, which is plain atomics.
type Ledger interface {
	// Meter returns the user's byte meter: the same pointer for a name
	// until Forget.
	Meter(name string) *Meter
	// Open counts one more connection of the user from the client prefix
	// (see Prefix), unless that would exceed maxConns connections or
	// maxIPs distinct prefixes (0: unlimited). It returns Admitted, or
	// MaxConnections or MaxIPs when refused.
	Open(name string, from netip.Prefix, maxConns, maxIPs int) Reason
	// Close undoes one successful Open.
	Close(name string, from netip.Prefix)
	// Holding returns the user's open connections and distinct prefixes.
	Holding(name string) (conns, ips int)
	// Forget drops everything kept about the user.
	Forget(name string)
	// Names returns every user the ledger has a meter for.
	Names() []string
}

// Prefix is what max_ips counts for a client address: the IPv4 address
// itself, or the /64 an IPv6 address belongs to (one subscriber's network).
func Prefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// Meter counts one user's bytes: both directions since the process started
// (for metrics), and both together in the current quota period.
type Meter struct {
	used    atomic.Uint64
	in, out atomic.Uint64
	opened  atomic.Uint64 // connections admitted since start

	mu     sync.Mutex
	period Period
	start  int64 // unix seconds: the start of the period used belongs to
}

// Add counts bytes from and to the user's clients and returns the bytes
// used in the current period afterwards. It is allocation-free and takes
// no lock: the relay calls it after every read.
func (m *Meter) Add(in, out uint64) uint64 {
	if in > 0 {
		m.in.Add(in)
	}
	if out > 0 {
		m.out.Add(out)
	}
	return m.used.Add(in + out)
}

// Totals returns the bytes from and to the user's clients since start, and
// the connections admitted.
func (m *Meter) Totals() (in, out, opened uint64) { return m.in.Load(), m.out.Load(), m.opened.Load() }

// Used returns the bytes used in the period p holding now. When now is in
// a later period than the counted bytes (or the user's period changed) the
// count starts over first; a clock stepping back never resets it.
func (m *Meter) Used(p Period, now time.Time) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	start := p.Start(now).Unix()
	if p != m.period || start > m.start {
		m.period, m.start = p, start
		m.used.Store(0)
	}
	return m.used.Load()
}

// Reset starts the user's current period over at zero bytes.
func (m *Meter) Reset(p Period, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.period, m.start = p, p.Start(now).Unix()
	m.used.Store(0)
}

// MeterState is what is persisted of a meter: the period its bytes belong
// to and the bytes.
type MeterState struct {
	Period string `json:"period"`
	Start  int64  `json:"start"`
	Used   uint64 `json:"used"`
}

// State returns the meter's period and bytes.
func (m *Meter) State() MeterState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MeterState{Period: m.period.String(), Start: m.start, Used: m.used.Load()}
}

// Restore adds a persisted state to the meter: the bytes counted since
// start (if any) come on top of the saved ones. A state that does not
// parse is ignored.
func (m *Meter) Restore(s MeterState) {
	p, err := ParsePeriod(s.Period)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.period, m.start = p, s.Start
	m.used.Add(s.Used)
}

// Local is the in-process Ledger.
type Local struct {
	mu    sync.Mutex
	users map[string]*localUser
}

type localUser struct {
	meter *Meter
	conns int
	ips   map[netip.Prefix]int
}

// NewLocal returns an empty in-process ledger.
func NewLocal() *Local { return &Local{users: map[string]*localUser{}} }

func (l *Local) user(name string) *localUser {
	u := l.users[name]
	if u == nil {
		u = &localUser{meter: new(Meter), ips: map[netip.Prefix]int{}}
		l.users[name] = u
	}
	return u
}

// Meter implements Ledger.
func (l *Local) Meter(name string) *Meter {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.user(name).meter
}

// Open implements Ledger.
func (l *Local) Open(name string, from netip.Prefix, maxConns, maxIPs int) Reason {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.user(name)
	if maxConns > 0 && u.conns >= maxConns {
		return MaxConnections
	}
	if maxIPs > 0 && u.ips[from] == 0 && len(u.ips) >= maxIPs {
		return MaxIPs
	}
	u.conns++
	u.ips[from]++
	return Admitted
}

// Close implements Ledger.
func (l *Local) Close(name string, from netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[name]
	if u == nil || u.conns == 0 {
		return
	}
	u.conns--
	if u.ips[from]--; u.ips[from] <= 0 {
		delete(u.ips, from)
	}
}

// Holding implements Ledger.
func (l *Local) Holding(name string) (conns, ips int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if u := l.users[name]; u != nil {
		return u.conns, len(u.ips)
	}
	return 0, 0
}

// Forget implements Ledger.
func (l *Local) Forget(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.users, name)
}

// Names implements Ledger.
func (l *Local) Names() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.users))
	for n := range l.users {
		out = append(out, n)
	}
	return out
}
