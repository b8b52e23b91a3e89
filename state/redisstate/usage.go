package redisstate

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/state"
	"github.com/redis/go-redis/v9"
)

// Period is a quota period: its name (such as "month") and bounds in unix
// seconds; End is 0 for a period that never ends.
type Period struct {
	Name       string
	Start, End int64
}

// Meter is what the usage sync needs of one user's byte meter (package
// users' Meter, through the users adapter). The relay adds to it locally;
// nothing per read goes to the store.
type Meter interface {
	// Moved returns the bytes counted since the process started, both
	// directions together.
	Moved() uint64
	// Period returns the quota period the meter counts now and the bytes
	// used in it; ok is false while it counts none.
	Period() (p Period, used uint64, ok bool)
	// Adjust adds delta (negative: subtracts, not below zero) to the bytes
	// used, if the meter still counts period p.
	Adjust(p Period, delta int64)
}

// usageKeepAfterEnd keeps a period's total a day after its end;
// usageKeepTotal is how long a total that never ends lives without a
// flush.
const (
	usageKeepAfterEnd = 24 * time.Hour
	usageKeepTotal    = 400 * 24 * time.Hour
)

// Usage keeps users' quota usage fleet-wide: every FlushInterval, one
// pipeline adds each user's bytes since the last flush to the fleet's
// total of its period (INCRBY) and reads the total back into the meter, so
// a quota used up through one replica is refused by all of them within a
// flush or two. A quota reset on one replica (the meter falls below the
// total it was given) replaces the fleet's total.
//
// It fails open: while the store is down the meters keep counting on top
// of the last total they were given, and the bytes are added when it is
// back. A store that lost its data is seeded with the replicas' own
// totals.
type Usage struct {
	s *Store

	mu    sync.Mutex
	users map[string]*usageUser
}

type usageUser struct {
	m    Meter
	sent atomic.Uint64 // Moved() as of the last successful flush
	// Touched by the flush only:
	key   string // the period key of the last flush
	total uint64 // the fleet's total the last flush read
}

func newUsage(s *Store) *Usage { return &Usage{s: s, users: map[string]*usageUser{}} }

// Usage returns the fleet-wide quota usage of users.
func (s *Store) Usage() *Usage { return s.usage }

// Track syncs m as the meter of user name from now on, replacing any
// other; bytes it already moved count as not yet flushed.
func (u *Usage) Track(name string, m Meter) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.users[name] = &usageUser{m: m}
}

// Untrack stops syncing the user's meter.
func (u *Usage) Untrack(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.users, name)
}

// unsynced returns the bytes counted and not yet flushed, of the meters
// that count a period.
func (u *Usage) unsynced() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	var n uint64
	for _, uu := range u.users {
		if _, _, ok := uu.m.Period(); ok {
			n += uu.m.Moved() - uu.sent.Load()
		}
	}
	return n
}

// flush adds every meter's bytes since the last flush to the fleet's
// totals and gives each meter its total back, in one pipeline.
func (u *Usage) flush(now time.Time) {
	type item struct {
		uu    *usageUser
		moved uint64
		p     Period
		used  uint64
		key   string
	}
	u.mu.Lock()
	items := make([]item, 0, len(u.users))
	for name, uu := range u.users {
		// Moved before Period: bytes counted in between are in used but
		// not sent, and are sent with the next flush.
		moved := uu.m.Moved()
		p, used, ok := uu.m.Period()
		if !ok {
			uu.sent.Store(moved) // bytes outside any period count nowhere
			continue
		}
		items = append(items, item{uu: uu, moved: moved, p: p, used: used,
			key: u.s.key("usage", name, p.Name, strconv.FormatInt(p.Start, 10))})
	}
	u.mu.Unlock()
	if len(items) == 0 {
		return
	}
	keys := make([][]string, len(items))
	args := make([][]any, len(items))
	for i, it := range items {
		mode := "incr"
		if it.key == it.uu.key && it.used < it.uu.total {
			mode = "set" // the meter was reset here: the fleet's total starts over
		}
		keep := usageKeepTotal
		if it.p.End > 0 {
			keep = time.Unix(it.p.End, 0).Sub(now) + usageKeepAfterEnd
		}
		keys[i] = []string{it.key}
		args[i] = []any{mode, it.moved - it.uu.sent.Load(), it.used, max(keep, time.Hour).Milliseconds()}
	}
	var cmds []*redis.Cmd
	err := u.s.call(state.OpUsage, u.s.o.SyncTimeout, func(ctx context.Context) error {
		var err error
		cmds, err = evalAll(ctx, u.s.rdb, usageScript, keys, args)
		return err
	})
	if err != nil {
		return // every byte stays unsent, for the next flush
	}
	for i, it := range items {
		total, err := cmds[i].Int64()
		if err != nil || total < 0 {
			continue
		}
		it.uu.sent.Store(it.moved)
		it.uu.key, it.uu.total = it.key, uint64(total)
		if delta := total - int64(it.used); delta != 0 {
			it.uu.m.Adjust(it.p, delta)
		}
	}
}
