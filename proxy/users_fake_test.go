package proxy_test

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
)

// testUsers is an Options.Users whose answers the test sets: the keys are
// users u0, u1, ...; hint is the key Keys names first for every client
// (-1: none); refuse refuses every admission. It records each admission
// and hands out testLeases.
type testUsers struct {
	snap   *testSnapshot
	hint   int
	refuse bool
	// lease configures every lease handed out.
	lease func(*testLease)

	mu      sync.Mutex
	keys    int // Keys calls
	admits  []admission
	leases  []*testLease
	changed chan struct{}
}

// admission is one Admit call.
type admission struct {
	index  int
	remote netip.Addr
}

func newTestUsers(keys ...[16]byte) *testUsers {
	return &testUsers{snap: &testSnapshot{keys: keys}, hint: -1, changed: make(chan struct{})}
}

// withUsers runs the engine on u instead of static secrets.
func withUsers(u *testUsers) option {
	return with(func(o *proxy.Options) { o.Secrets, o.Users = nil, u })
}

func (u *testUsers) Keys(netip.Addr) (proxy.KeySnapshot, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.keys++
	return u.snap, u.hint
}

func (u *testUsers) Admit(s proxy.KeySnapshot, i int, remote netip.Addr) (proxy.Lease, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	defer u.wake()
	if s != u.snap {
		panic("Admit with another snapshot than Keys handed out")
	}
	u.admits = append(u.admits, admission{i, remote})
	if u.refuse {
		return nil, false
	}
	l := &testLease{released: make(chan struct{}), quota: func(int64, int64) bool { return true }}
	if u.lease != nil {
		u.lease(l)
	}
	u.leases = append(u.leases, l)
	return l, true
}

func (u *testUsers) wake() {
	close(u.changed)
	u.changed = make(chan struct{})
}

// waitLeases waits until n leases were handed out and returns them.
func (u *testUsers) waitLeases(f *fixture, n int) []*testLease {
	f.t.Helper()
	timeout := time.After(eventWait)
	for {
		u.mu.Lock()
		got, ch := append([]*testLease(nil), u.leases...), u.changed
		u.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-timeout:
			f.t.Fatalf("waited %v for %d leases, got %d", eventWait, n, len(got))
		}
	}
}

func (u *testUsers) leaseCount() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.leases)
}

// refusingUsers runs the engine on users who are all refused admission.
func refusingUsers(f *fixture, o *proxy.Options) {
	u := newTestUsers(secretKeys...)
	u.refuse = true
	o.Secrets, o.Users = nil, u
}

func (u *testUsers) admissions() (keys int, admits []admission) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.keys, append([]admission(nil), u.admits...)
}

type testSnapshot struct{ keys [][16]byte }

func (s *testSnapshot) Keys() [][16]byte  { return s.keys }
func (s *testSnapshot) Name(i int) string { return fmt.Sprintf("u%d", i) }

// testLease counts what the engine accounts. waitIn and waitOut are the
// pauses (nanoseconds) Account asks for after bytes from and to the
// client; quota decides, from the totals so far, whether the connection
// may go on.
type testLease struct {
	in, out         atomic.Int64
	waitIn, waitOut atomic.Int64
	quota           func(in, out int64) bool
	tag             *[16]byte
	released        chan struct{}
	releases        atomic.Int32

	mu       sync.Mutex
	onRevoke []func()
}

func (l *testLease) Account(in, out int) (time.Duration, bool) {
	i, o := l.in.Add(int64(in)), l.out.Add(int64(out))
	wait := l.waitOut.Load()
	if in > 0 {
		wait = l.waitIn.Load()
	}
	return time.Duration(wait), l.quota(i, o)
}

func (l *testLease) AdTag() *[16]byte { return l.tag }

func (l *testLease) OnRevoke(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onRevoke = append(l.onRevoke, f)
}

// revoke does what a registry does once a revoked user's grace is over.
func (l *testLease) revoke() {
	l.mu.Lock()
	fs := l.onRevoke
	l.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

func (l *testLease) Release() {
	if l.releases.Add(1) == 1 {
		close(l.released)
	}
}

// waitReleased waits for the engine to release the lease.
func (l *testLease) waitReleased(f *fixture) {
	f.t.Helper()
	select {
	case <-l.released:
	case <-time.After(eventWait):
		f.t.Fatalf("the lease was not released within %v", eventWait)
	}
}
