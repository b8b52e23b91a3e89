package redisstate

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/redisserver"
)

// fakeMeter is a Meter counting one period.
type fakeMeter struct {
	mu    sync.Mutex
	moved uint64
	p     Period
	used  uint64
	off   bool // counts no period
}

func (m *fakeMeter) add(n uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.moved += n
	m.used += n
}

func (m *fakeMeter) Moved() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.moved
}

func (m *fakeMeter) Period() (Period, uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.p, m.used, !m.off
}

func (m *fakeMeter) Adjust(p Period, delta int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p != m.p {
		return
	}
	m.used = uint64(max(int64(m.used)+delta, 0))
}

func (m *fakeMeter) Used() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used
}

func (m *fakeMeter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.used = 0
}

func month() Period {
	now := time.Now().UTC()
	s := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Period{Name: "month", Start: s.Unix(), End: s.AddDate(0, 1, 0).Unix()}
}

func wantUsed(t *testing.T, who string, m *fakeMeter, want uint64) {
	t.Helper()
	if got := m.Used(); got != want {
		t.Fatalf("%s: used %d, want %d", who, got, want)
	}
}

// Bytes counted on one replica reach the other's meter through the
// fleet's total, both ways; a reset on one replica resets the fleet.
func TestUsageFleetTotals(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, b := fleet(t, srv, Options{})
	ma, mb := &fakeMeter{p: month()}, &fakeMeter{p: month()}
	a.Usage().Track("alice", ma)
	b.Usage().Track("alice", mb)
	now := time.Now()

	ma.add(1000)
	if got := a.Stats().UnsyncedBytes; got != 1000 {
		t.Fatalf("unsynced %d before the flush", got)
	}
	a.Usage().flush(now)
	if got := a.Stats().UnsyncedBytes; got != 0 {
		t.Fatalf("unsynced %d after the flush", got)
	}
	b.Usage().flush(now)
	wantUsed(t, "B after A's 1000", mb, 1000)
	mb.add(500)
	b.Usage().flush(now)
	a.Usage().flush(now)
	wantUsed(t, "A after B's 500", ma, 1500)
	wantUsed(t, "B", mb, 1500)

	// The key's TTL runs to a day after the period's end.
	ttl, err := direct(t, srv).PTTL(t.Context(), a.key("usage", "alice", "month", strconv.FormatInt(month().Start, 10))).Result()
	if err != nil {
		t.Fatal(err)
	}
	if end := time.Until(time.Unix(month().End, 0)) + usageKeepAfterEnd; ttl > end+time.Minute || ttl < end-time.Minute {
		t.Fatalf("TTL %v, want about %v", ttl, end)
	}

	ma.reset() // the admin API's quota reset, on A
	ma.add(10)
	a.Usage().flush(now)
	wantUsed(t, "A after its reset", ma, 10)
	mb.add(1)
	b.Usage().flush(now)
	wantUsed(t, "B after A's reset", mb, 11)
}

// A meter counting no period sends nothing; its bytes count nowhere.
func TestUsageNoPeriod(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, _ := fleet(t, srv, Options{})
	m := &fakeMeter{off: true}
	a.Usage().Track("bob", m)
	m.add(100)
	a.Usage().flush(time.Now())
	if a.Stats().UnsyncedBytes != 0 {
		t.Fatal("bytes outside a period counted as unsynced")
	}
	if n, _ := direct(t, srv).DBSize(t.Context()).Result(); n != 2 { // the replicas set and the epoch
		t.Fatalf("%d keys: a meter without a period wrote", n)
	}
}

// While the store is down the meters go on counting and the bytes stay
// unsynced; a store that comes back empty is seeded with the replicas'
// own totals, so nothing counted before the outage is lost.
func TestUsageOutageAndEmptyStore(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, b := fleet(t, srv, Options{Timeout: 200 * time.Millisecond, SyncTimeout: 500 * time.Millisecond})
	ma, mb := &fakeMeter{p: month()}, &fakeMeter{p: month()}
	a.Usage().Track("alice", ma)
	b.Usage().Track("alice", mb)
	now := time.Now()
	ma.add(700)
	mb.add(300)
	a.Usage().flush(now)
	b.Usage().flush(now)
	a.Usage().flush(now)
	wantUsed(t, "A", ma, 1000)

	srv.Kill()
	ma.add(50)
	mb.add(5)
	a.Usage().flush(now)
	b.Usage().flush(now)
	if a.Stats().UnsyncedBytes != 50 || b.Stats().UnsyncedBytes != 5 {
		t.Fatalf("unsynced %d and %d during the outage", a.Stats().UnsyncedBytes, b.Stats().UnsyncedBytes)
	}
	wantUsed(t, "A during the outage", ma, 1050)

	srv.Restart() // empty
	a.heartbeat()
	b.heartbeat()
	a.Usage().flush(now) // seeds the total with A's 1050
	b.Usage().flush(now) // adds B's 5
	a.Usage().flush(now)
	wantUsed(t, "A after the outage", ma, 1055)
	wantUsed(t, "B after the outage", mb, 1055)
}
