package redisstate

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/redisserver"
	"github.com/mtproxy/mtproxy/users"
)

// replica is one proxy's users registry over its own store.
type replica struct {
	s   *Store
	reg *users.Registry
}

func newReplica(t *testing.T, srv *redisserver.Server, specs []users.Spec) replica {
	t.Helper()
	return newReplicaGrace(t, srv, specs, 0)
}

// newReplicaGrace is newReplica with the registry's drain grace period
// (0: the default).
func newReplicaGrace(t *testing.T, srv *redisserver.Server, specs []users.Spec, grace time.Duration) replica {
	t.Helper()
	s, _ := newStore(t, srv, Options{})
	s.heartbeat()
	reg := users.New(users.Options{Ledger: s.UsersLedger(), Grace: grace})
	if err := reg.Apply(specs); err != nil {
		t.Fatal(err)
	}
	return replica{s: s, reg: reg}
}

func (r replica) admit(t *testing.T, name, addr string) (*users.Lease, users.Reason) {
	t.Helper()
	snap := r.reg.Snapshot()
	for i := range snap.Len() {
		if snap.Name(i) == name {
			return r.reg.Admit(snap, i, netip.MustParseAddr(addr))
		}
	}
	t.Fatalf("no user %s", name)
	return nil, 0
}

func (r replica) flush() {
	r.s.leases.flush(false)
	r.s.usage.flush(time.Now())
}

func want(t *testing.T, who string, got, want users.Reason) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: %v, want %v", who, got, want)
	}
}

// Two registries over one store are one user base: a quota used up
// through A is refused by B once the usage is flushed, a quota reset on B
// frees it on A, and max_connections holds across both.
func TestUsersLedgerFleet(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	specs := []users.Spec{
		{Name: "alice", Key: [16]byte{1}, Enabled: true, Quota: 10_000, QuotaPeriod: users.Month},
		{Name: "bob", Key: [16]byte{2}, Enabled: true, MaxConnections: 1},
	}
	a, b := newReplica(t, srv, specs), newReplica(t, srv, specs)

	l, why := a.admit(t, "alice", "192.0.2.1")
	want(t, "alice on A", why, users.Admitted)
	if _, ok := l.Account(8_000, 3_000); ok {
		t.Fatal("11000 bytes of a 10000-byte quota accounted as within it")
	}
	l.Release()
	_, why = b.admit(t, "alice", "192.0.2.2")
	want(t, "alice on B before the flush", why, users.Admitted) // B has not heard yet
	a.flush()
	b.flush()
	_, why = b.admit(t, "alice", "192.0.2.2")
	want(t, "alice on B after the flush", why, users.Quota)
	if st, _ := b.reg.User("alice"); st.Used != 11_000 || st.State != users.StateOverQuota {
		t.Fatalf("B sees alice at %d bytes, %s", st.Used, st.State)
	}

	if !b.reg.ResetQuota("alice") {
		t.Fatal("no alice")
	}
	b.flush()
	a.flush()
	_, why = a.admit(t, "alice", "192.0.2.1")
	want(t, "alice on A after B's reset", why, users.Admitted)

	lb, why := a.admit(t, "bob", "192.0.2.3")
	want(t, "bob on A", why, users.Admitted)
	_, why = b.admit(t, "bob", "192.0.2.4")
	want(t, "bob's second connection, on B", why, users.MaxConnections)
	lb.Release()
	a.flush()
	_, why = b.admit(t, "bob", "192.0.2.4")
	want(t, "bob on B once A's is closed", why, users.Admitted)
}

// A user removed from the file is forgotten once its grace period is over
// (its connection's end says when): no meter, no lease, no usage kept in
// sync.
func TestUsersLedgerForget(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a := newReplicaGrace(t, srv, []users.Spec{{Name: "carol", Key: [16]byte{3}, Enabled: true, Quota: 1 << 20}}, time.Millisecond)
	l, why := a.admit(t, "carol", "192.0.2.5")
	if why != users.Admitted {
		t.Fatal(why)
	}
	if err := a.reg.Apply(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the removed user's connection was not drained")
	}
	l.Release()
	if names := a.s.UsersLedger().Names(); len(names) != 0 {
		t.Fatalf("meters kept for %v", names)
	}
	a.s.usage.mu.Lock()
	n := len(a.s.usage.users)
	a.s.usage.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d meters still synced", n)
	}
}
