package redisstate

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/state"
	"github.com/redis/go-redis/v9"
)

// maxPrefixesInValue bounds the client prefixes one replica writes per
// user. A user with a max_ips limit never has more than the limit on one
// replica; beyond this bound, a user without one is counted by
// connections only.
const maxPrefixesInValue = 256

// Verdict is the outcome of an admission.
type Verdict uint8

// The verdicts.
const (
	Admitted        Verdict = iota // the connection is taken
	OverConnections                // the user's max_connections is reached
	OverIPs                        // the user's max_ips is reached
	numVerdicts
)

var verdictNames = [...]string{Admitted: "admitted", OverConnections: "max_connections", OverIPs: "max_ips"}

// One name per Verdict: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(verdictNames)-int(numVerdicts)]

func (v Verdict) String() string { return enum.Name(verdictNames[:], v) }

// Leases counts users' connections and client prefixes across the fleet,
// so that max_connections and max_ips hold fleet-wide. This replica's own
// counts are kept here and are the truth for it; the store holds a copy per
// replica, which the admission script sums over the live replicas.
//
// Admission of a user with limits asks the store (bounded by
// Options.Timeout). It fails open: when the store is down or the call
// fails, the connection is admitted against this replica's own counts
// (each replica then enforces the limits on its own), and the counts are
// written back when the store answers again. Users without limits never
// wait for the store; their counts are written back in the background.
type Leases struct {
	s *Store

	mu    sync.Mutex
	users map[string]*leaseUser
}

type leaseUser struct {
	mu        sync.Mutex // serialises this user's admissions and writes
	conns     int
	ips       map[netip.Prefix]int
	seq       uint64 // of the last value made
	dirty     bool   // changed since last written
	written   bool   // the store has a value of this replica
	forgotten bool   // the user is gone: write a last, empty value and drop it
}

func newLeases(s *Store) *Leases { return &Leases{s: s, users: map[string]*leaseUser{}} }

// Leases returns the fleet-wide connection counts of users.
func (s *Store) Leases() *Leases { return s.leases }

func (l *Leases) user(name string, create bool) *leaseUser {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[name]
	if u == nil && create {
		u = &leaseUser{ips: map[netip.Prefix]int{}}
		l.users[name] = u
	}
	return u
}

func (l *Leases) key(name string) string { return l.s.key("conns", name) }

// value is what this replica writes for u: "seq conns prefix...". u.mu is
// held; extra, if valid, is counted as one more connection from it.
func (u *leaseUser) value(seq uint64, extra netip.Prefix) string {
	var b strings.Builder
	conns := u.conns
	if extra.IsValid() {
		conns++
	}
	b.WriteString(strconv.FormatUint(seq, 10))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(conns))
	n := 0
	add := func(p netip.Prefix) {
		if n < maxPrefixesInValue {
			b.WriteByte(' ')
			b.WriteString(p.String())
			n++
		}
	}
	for p := range u.ips {
		add(p)
	}
	if extra.IsValid() && u.ips[extra] == 0 {
		add(extra)
	}
	return b.String()
}

// Open takes one connection of the user from the client prefix, unless
// the fleet (or, failing the store, this replica) is at the user's
// maxConns connections or maxIPs distinct prefixes (0: no limit).
func (l *Leases) Open(name string, from netip.Prefix, maxConns, maxIPs int) Verdict {
	u := l.user(name, true)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.forgotten = false // back (a user removed and added again)
	fresh := u.ips[from] == 0
	if maxConns > 0 && u.conns >= maxConns {
		return OverConnections
	}
	if maxIPs > 0 && fresh && len(u.ips) >= maxIPs {
		return OverIPs
	}
	if maxConns > 0 || maxIPs > 0 {
		if v, ok := l.admit(name, u, from, fresh, maxConns, maxIPs); ok {
			if v != Admitted {
				return v
			}
			u.take(from)
			u.written = true
			return Admitted
		}
		l.s.o.Observer.StateFallback(state.OpAdmit)
	}
	u.take(from)
	u.dirty = true
	return Admitted
}

// admit runs the admission script; ok is false when the store could not
// be asked. u.mu is held.
func (l *Leases) admit(name string, u *leaseUser, from netip.Prefix, fresh bool, maxConns, maxIPs int) (v Verdict, ok bool) {
	if !l.s.health.Usable() {
		return 0, false
	}
	u.seq++
	freshArg := "0"
	if fresh {
		freshArg = "1"
	}
	var res int64
	err := l.s.call(state.OpAdmit, l.s.o.Timeout, func(ctx context.Context) error {
		var err error
		res, err = admitScript.Run(ctx, l.s.rdb, []string{l.s.key("replicas"), l.key(name)},
			l.s.o.Replica, u.seq, u.value(u.seq, from), maxConns, maxIPs, from.String(), freshArg,
			l.hashTTL()).Int64()
		return err
	})
	switch {
	case err != nil:
		return 0, false
	case res == 1:
		return OverConnections, true
	case res == 2:
		return OverIPs, true
	case res == 3: // a newer value of ours is there: cannot happen with u.mu held; fall back
		return 0, false
	}
	return Admitted, true
}

// hashTTL is how long a user's hash lives without a write: a few leases.
func (l *Leases) hashTTL() int64 { return 4 * l.s.o.LeaseTTL.Milliseconds() }

func (u *leaseUser) take(from netip.Prefix) {
	u.conns++
	u.ips[from]++
}

// Close gives back one connection taken by Open.
func (l *Leases) Close(name string, from netip.Prefix) {
	u := l.user(name, false)
	if u == nil {
		return
	}
	u.mu.Lock()
	if u.conns == 0 || u.forgotten {
		u.mu.Unlock()
		return
	}
	u.conns--
	if u.ips[from]--; u.ips[from] <= 0 {
		delete(u.ips, from)
	}
	u.dirty = true
	written := u.written
	u.mu.Unlock()
	if written {
		l.s.wakeFlush() // free the slot fleet-wide soon
	}
}

// Holding returns this replica's connections and distinct prefixes of the
// user (the fleet's are the sum over the replicas' metrics).
func (l *Leases) Holding(name string) (conns, ips int) {
	u := l.user(name, false)
	if u == nil {
		return 0, 0
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.conns, len(u.ips)
}

// Forget drops the user: its value in the store is emptied at the next
// flush.
func (l *Leases) Forget(name string) {
	u := l.user(name, false)
	if u == nil {
		return
	}
	u.mu.Lock()
	u.conns, u.ips, u.dirty, u.forgotten = 0, map[netip.Prefix]int{}, true, true
	u.mu.Unlock()
	l.s.wakeFlush()
}

// flush writes the values that changed (all of them when full) in one
// pipeline. A write that fails stays dirty for the next flush.
func (l *Leases) flush(full bool) {
	type write struct {
		name string
		u    *leaseUser
	}
	var ws []write
	l.mu.Lock()
	for name, u := range l.users {
		ws = append(ws, write{name: name, u: u})
	}
	l.mu.Unlock()
	var keys [][]string
	var args [][]any
	keep := ws[:0]
	for _, w := range ws {
		u := w.u
		u.mu.Lock()
		if u.dirty || full && u.conns > 0 {
			u.seq++
			keys = append(keys, []string{l.key(w.name)})
			args = append(args, []any{l.s.o.Replica, u.seq, u.value(u.seq, netip.Prefix{}), l.hashTTL()})
			u.dirty = false
			keep = append(keep, w)
		}
		u.mu.Unlock()
	}
	ws = keep
	if len(ws) == 0 {
		return
	}
	var cmds []*redis.Cmd
	err := l.s.call(state.OpLeases, l.s.o.SyncTimeout, func(ctx context.Context) error {
		var err error
		cmds, err = evalAll(ctx, l.s.rdb, leaseScript, keys, args)
		return err
	})
	for i, w := range ws {
		u := w.u
		u.mu.Lock()
		if err != nil || cmds[i].Err() != nil {
			u.dirty = true
		} else {
			u.written = true
		}
		drop := u.forgotten && !u.dirty
		u.mu.Unlock()
		if drop {
			l.mu.Lock()
			if l.users[w.name] == u {
				delete(l.users, w.name)
			}
			l.mu.Unlock()
		}
	}
}
