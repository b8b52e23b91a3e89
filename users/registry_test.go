package users

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"
)

func TestAdmitRefusesByReasonAndCounts(t *testing.T) {
	clk := newClock("2025-03-10T12:00:00Z")
	r := New(Options{Now: clk.Now})
	specs := []Spec{
		user("ok", 1),
		{Name: "off", Key: key(2)},
		{Name: "old", Key: key(3), Enabled: true, Expires: clk.Now().Add(-time.Second)},
		{Name: "full", Key: key(4), Enabled: true, Quota: 1000},
		{Name: "conns", Key: key(5), Enabled: true, MaxConnections: 1},
		{Name: "ips", Key: key(6), Enabled: true, MaxIPs: 2},
	}
	if err := r.Apply(specs); err != nil {
		t.Fatal(err)
	}
	if _, why := admit(t, r, key(1), "192.0.2.1"); why != Admitted {
		t.Errorf("ok: %v", why)
	}
	if _, why := admit(t, r, key(2), "192.0.2.1"); why != Disabled {
		t.Errorf("off: %v", why)
	}
	if _, why := admit(t, r, key(3), "192.0.2.1"); why != Expired {
		t.Errorf("old: %v", why)
	}
	l, why := admit(t, r, key(4), "192.0.2.1")
	if why != Admitted {
		t.Fatalf("full before its quota: %v", why)
	}
	if _, ok := l.Account(600, 399); !ok {
		t.Error("999 of 1000 bytes ended the connection")
	}
	if _, ok := l.Account(0, 2); ok {
		t.Error("1001 of 1000 bytes did not end the connection")
	}
	l.Release()
	if _, why := admit(t, r, key(4), "192.0.2.1"); why != Quota {
		t.Errorf("full after its quota: %v", why)
	}
	c1, why := admit(t, r, key(5), "192.0.2.1")
	if why != Admitted {
		t.Fatal(why)
	}
	if _, why := admit(t, r, key(5), "192.0.2.2"); why != MaxConnections {
		t.Errorf("second connection: %v", why)
	}
	c1.Release()
	c1.Release() // twice is harmless
	if l, why := admit(t, r, key(5), "192.0.2.2"); why != Admitted {
		t.Errorf("after release: %v", why)
	} else {
		l.Release()
	}
	// Two IPv4 addresses, and an IPv6 /64 counted once however many addresses.
	var held []*Lease
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2::ffff", "::ffff:198.51.100.7", "198.51.100.7"} {
		l, why := admit(t, r, key(6), a)
		if why != Admitted {
			t.Fatalf("ips from %s: %v", a, why)
		}
		held = append(held, l)
	}
	if _, why := admit(t, r, key(6), "2001:db8:1:3::1"); why != MaxIPs {
		t.Errorf("a third prefix: %v", why)
	}
	if c, n := r.Ledger().Holding("ips"); c != 4 || n != 2 {
		t.Errorf("holding %d connections from %d prefixes", c, n)
	}
	for _, l := range held {
		l.Release()
	}
	rej := r.Rejections()
	want := map[Reason]uint64{Disabled: 1, Expired: 1, Quota: 1, MaxConnections: 1, MaxIPs: 1, Admitted: 8}
	for reason, n := range want {
		if rej[reason] != n {
			t.Errorf("%s counted %d, want %d", reason, rej[reason], n)
		}
	}
}

func TestQuotaStartsOverAtThePeriodBoundary(t *testing.T) {
	clk := newClock("2025-01-31T23:59:00Z")
	r := New(Options{Now: clk.Now})
	if err := r.Apply([]Spec{{Name: "m", Key: key(1), Enabled: true, Quota: 100, QuotaPeriod: Month}}); err != nil {
		t.Fatal(err)
	}
	l, _ := admit(t, r, key(1), "192.0.2.1")
	l.Account(100, 50)
	l.Release()
	if _, why := admit(t, r, key(1), "192.0.2.1"); why != Quota {
		t.Fatalf("over quota: %v", why)
	}
	clk.Set("2025-02-01T00:00:00Z")
	l, why := admit(t, r, key(1), "192.0.2.1")
	if why != Admitted {
		t.Fatalf("in the next month: %v", why)
	}
	l.Release()
	if st, _ := r.User("m"); st.Used != 0 || st.PeriodEnd.Format(time.DateOnly) != "2025-03-01" {
		t.Errorf("status %+v", st)
	}
}

func TestUsageSurvivesARestartButNotItsPeriod(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.json")
	clk := newClock("2025-05-14T10:00:00Z")
	spec := []Spec{{Name: "d", Key: key(1), Enabled: true, Quota: 1000, QuotaPeriod: Day}}
	r1 := New(Options{Now: clk.Now})
	if err := r1.Apply(spec); err != nil {
		t.Fatal(err)
	}
	l, _ := admit(t, r1, key(1), "192.0.2.1")
	l.Account(700, 0)
	l.Release()
	if err := r1.SaveUsage(path); err != nil {
		t.Fatal(err)
	}

	// A restart the same day: the 700 bytes are still used.
	r2 := New(Options{Now: clk.Now})
	if err := r2.Apply(spec); err != nil {
		t.Fatal(err)
	}
	if err := r2.LoadUsage(path); err != nil {
		t.Fatal(err)
	}
	if st, _ := r2.User("d"); st.Used != 700 {
		t.Fatalf("after a restart: %d bytes used, want 700", st.Used)
	}
	l, _ = admit(t, r2, key(1), "192.0.2.1")
	if _, ok := l.Account(301, 0); ok {
		t.Error("the restored bytes do not count towards the quota")
	}
	l.Release()

	// A restart the next day: a new period.
	clk.Set("2025-05-15T00:00:01Z")
	r3 := New(Options{Now: clk.Now})
	if err := r3.Apply(spec); err != nil {
		t.Fatal(err)
	}
	if err := r3.LoadUsage(path); err != nil {
		t.Fatal(err)
	}
	if st, _ := r3.User("d"); st.Used != 0 {
		t.Fatalf("in a new period: %d bytes used", st.Used)
	}
	if err := New(Options{}).LoadUsage(filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("a missing usage file: %v", err)
	}
}

func TestApplyDrainsOnlyTheChangedUsers(t *testing.T) {
	r := New(Options{Grace: 50 * time.Millisecond})
	if err := r.Apply([]Spec{user("keep", 1), user("gone", 2), user("rot", 3), user("off", 4)}); err != nil {
		t.Fatal(err)
	}
	keep, _ := admit(t, r, key(1), "192.0.2.1")
	gone, _ := admit(t, r, key(2), "192.0.2.1")
	rot, _ := admit(t, r, key(3), "192.0.2.1")
	off, _ := admit(t, r, key(4), "192.0.2.1")
	stale := r.Snapshot()

	// keep gets new limits, gone is removed, rot gets a new secret, off is disabled.
	next := []Spec{{Name: "keep", Key: key(1), Enabled: true, MaxConnections: 5}, user("rot", 30), {Name: "off", Key: key(4)}}
	if err := r.Apply(next); err != nil {
		t.Fatal(err)
	}
	if isClosed(gone.Done()) || isClosed(rot.Done()) || isClosed(off.Done()) {
		t.Error("a connection was cut before its grace period")
	}
	waitClosed(t, gone.Done(), "removed user")
	waitClosed(t, rot.Done(), "rotated user")
	waitClosed(t, off.Done(), "disabled user")
	if isClosed(keep.Done()) {
		t.Fatal("an unchanged user's connection was drained")
	}
	// The old secret is no longer in the keys; the new one is.
	s := r.Snapshot()
	for _, k := range s.Keys() {
		if k == key(2) || k == key(3) {
			t.Errorf("key %x still accepted", k[:2])
		}
	}
	index(t, s, key(30))
	// A handshake that began on the old snapshot is refused.
	if _, why := r.Admit(stale, index(t, stale, key(3)), netip.MustParseAddr("192.0.2.9")); why != Disabled {
		t.Errorf("old key admitted after rotation: %v", why)
	}
	// A refused file changes nothing.
	if err := r.Apply([]Spec{user("a", 1), user("a", 2)}); err == nil {
		t.Fatal("duplicate names applied")
	}
	if len(r.Specs()) != 3 {
		t.Errorf("after a refused apply: %d users", len(r.Specs()))
	}
	for _, l := range []*Lease{keep, gone, rot, off} {
		l.Release()
	}
}

func TestExpiryDrainsOpenConnections(t *testing.T) {
	clk := newClock("2025-01-01T00:00:00Z")
	r := New(Options{Now: clk.Now, Grace: time.Millisecond})
	if err := r.Apply([]Spec{{Name: "e", Key: key(1), Enabled: true, Expires: clk.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	l, _ := admit(t, r, key(1), "192.0.2.1")
	r.Tick()
	if isClosed(l.Done()) {
		t.Fatal("drained before expiry")
	}
	clk.Set("2025-01-01T01:00:00Z")
	r.Tick()
	waitClosed(t, l.Done(), "expired user")
	l.Release()
}

func TestReturningClientAndRecentUsersComeFirst(t *testing.T) {
	clk := newClock("2025-01-01T00:00:00Z")
	r := New(Options{Now: clk.Now})
	if err := r.Apply(manyUsers(1000)); err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr("203.0.113.5")
	if h := r.Hint(r.Snapshot(), a); h != -1 {
		t.Fatalf("hint %d before any handshake", h)
	}
	l, _ := admit(t, r, key(777), a.String())
	l.Release()
	s := r.Snapshot()
	if h := r.Hint(s, a); h < 0 || s.Keys()[h] != key(777) {
		t.Fatalf("returning client's hint %d", h)
	}
	// An address of the same IPv6 /64 is the same client.
	b := netip.MustParseAddr("2001:db8::1")
	l, _ = admit(t, r, key(5), b.String())
	l.Release()
	if h := r.Hint(s, netip.MustParseAddr("2001:db8::2")); s.Keys()[h] != key(5) {
		t.Fatal("no hint for another address of the /64")
	}
	// After Reorder the most recently used users lead the keys.
	clk.Set("2025-01-01T00:00:05Z")
	l, _ = admit(t, r, key(900), "198.51.100.1")
	l.Release()
	r.Reorder()
	keys := r.Snapshot().Keys()
	if keys[0] != key(900) || keys[1] != key(5) && keys[1] != key(777) {
		t.Fatalf("order starts %x %x", keys[0][:3], keys[1][:3])
	}
	if h := r.Hint(r.Snapshot(), a); r.Snapshot().Keys()[h] != key(777) {
		t.Fatal("hint lost by a reorder")
	}
}

func TestRateLimitAsksToWait(t *testing.T) {
	r := New(Options{})
	if err := r.Apply([]Spec{{Name: "slow", Key: key(1), Enabled: true, RateLimit: 64 << 10}}); err != nil {
		t.Fatal(err)
	}
	l, _ := admit(t, r, key(1), "192.0.2.1")
	defer l.Release()
	var waited time.Duration
	for i := 0; i < 4; i++ {
		w, _ := l.Account(32<<10, 32<<10)
		waited = w
	}
	// 256 KiB at 64 KiB/s with a 64 KiB burst: about 3 s of debt.
	if waited < 2*time.Second || waited > 3*time.Second+100*time.Millisecond {
		t.Fatalf("wait %v, want about 3s", waited)
	}
	// No rate limit: never a wait.
	if err := r.Apply([]Spec{{Name: "slow", Key: key(1), Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	if w, _ := l.Account(1<<30, 0); w != 0 {
		t.Fatalf("wait %v without a limit", w)
	}
}

func TestAccountAllocatesNothing(t *testing.T) {
	r := New(Options{})
	if err := r.Apply([]Spec{{Name: "a", Key: key(1), Enabled: true, RateLimit: 1 << 40, Quota: 1 << 60}}); err != nil {
		t.Fatal(err)
	}
	l, _ := admit(t, r, key(1), "192.0.2.1")
	defer l.Release()
	if n := testing.AllocsPerRun(1000, func() { l.Account(100, 100) }); n != 0 {
		t.Fatalf("%v allocations per Account", n)
	}
}

// A user removed, disabled or rotated and then restored before the grace
// period ends keeps its connections and its usage: a users file read while
// an editor rewrote it in place (empty for a moment) must cost nothing.
// Once the revocation holds to the end of its grace period, it acts, and a
// removed user's usage is forgotten.
func TestRestoredWithinGraceKeepsConnections(t *testing.T) {
	r := New(Options{})
	var pending []func()
	r.after = func(_ time.Duration, f func()) { pending = append(pending, f) }
	graceEnds := func() {
		t.Helper()
		fs := pending
		pending = nil
		if len(fs) == 0 {
			t.Fatal("no grace period runs")
		}
		for _, f := range fs {
			f()
		}
	}
	apply := func(specs ...Spec) {
		t.Helper()
		if err := r.Apply(specs); err != nil {
			t.Fatal(err)
		}
	}
	apply(user("a", 1), user("b", 2), user("c", 3))
	a, _ := admit(t, r, key(1), "192.0.2.1")
	b, _ := admit(t, r, key(2), "192.0.2.2")
	c, _ := admit(t, r, key(3), "192.0.2.3")
	r.User("a") // its meter's period begins
	a.Account(1000, 234)

	// The file is empty for a moment, then back.
	apply()
	apply(user("a", 1), user("b", 2), user("c", 3))
	graceEnds()
	for _, l := range []*Lease{a, b, c} {
		if isClosed(l.Done()) {
			t.Fatalf("%s: drained although restored within the grace period", l.Name())
		}
	}
	if st, _ := r.User("a"); st.Used != 1234 {
		t.Fatalf("a's usage after the restore: %d, want 1234", st.Used)
	}
	// b disabled and enabled again, c rotated and rotated back.
	apply(user("a", 1), Spec{Name: "b", Key: key(2)}, user("c", 33))
	apply(user("a", 1), user("b", 2), user("c", 3))
	graceEnds()
	if isClosed(b.Done()) || isClosed(c.Done()) {
		t.Fatal("a re-enabled or rotated-back user was drained")
	}

	// Removed, restored, removed again: the first grace period is void,
	// the second acts.
	apply(user("b", 2), user("c", 3))
	first := pending
	pending = nil
	apply(user("a", 1), user("b", 2), user("c", 3))
	apply(user("b", 2), user("c", 3))
	for _, f := range first {
		f()
	}
	if isClosed(a.Done()) {
		t.Fatal("a void grace period drained the user")
	}
	graceEnds()
	waitClosed(t, a.Done(), "removed user")
	// Its usage is forgotten: added again, it starts from nothing.
	apply(user("a", 1), user("b", 2), user("c", 3))
	if st, _ := r.User("a"); st.Used != 0 {
		t.Fatalf("a removed user's usage came back: %d", st.Used)
	}
	// Still disabled at the end of its grace period: drained.
	apply(user("a", 1), Spec{Name: "b", Key: key(2)}, user("c", 3))
	graceEnds()
	waitClosed(t, b.Done(), "disabled user")
	if isClosed(c.Done()) {
		t.Fatal("an unchanged user was drained")
	}
	for _, l := range []*Lease{a, b, c} {
		l.Release()
	}
}
