package redisstate

import (
	"context"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/proxy/replay"
	"github.com/mtproxy/mtproxy/state"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// reconcileBatch is how many digests one reconciliation pipeline carries.
const reconcileBatch = 1000

// Replay is the fleet-wide replay store: a handshake digest is recorded
// with SET NX and a TTL of the handshake's window, so that a hello accepted
// by one replica is refused by every other (and by this one after a
// restart). The engine asks it only for handshakes its local cache has not
// seen.
//
// It fails open: when the store is down or the call fails or times out
// (Options.Timeout), Seen reports false, the local cache's verdict stands,
// and the digest is kept (up to Options.MaxPending) to be written back
// when the store answers again.
type Replay struct {
	s     *Store
	local atomic.Pointer[localCache] // this replica's own cache, if given

	mu      sync.Mutex
	pending []pendingKey // a ring once full
	next    int          // where the next digest goes when full
	dropped uint64       // digests lost because the ring was full
	writing int          // digests taken by a reconciliation in progress
}

type pendingKey struct {
	k   replay.Key
	exp time.Time
}

func newReplay(s *Store) *Replay { return &Replay{s: s} }

// LocalCache is what the store reads of this replica's own replay cache
// (*replay.Cache implements it): every digest still inside its window.
type LocalCache interface {
	Each(now time.Time, f func(k replay.Key, expires time.Time) bool)
}

type localCache struct{ LocalCache }

// SetLocalCache gives the store this replica's own replay cache. Its
// digests are written to the store whenever the store is new to this
// replica: at the first heartbeat (the cache read back from
// REPLAY_CACHE_FILE) and after the store lost its data (restarted empty),
// so that a handshake accepted before is still refused by every replica.
func (r *Replay) SetLocalCache(c LocalCache) { r.local.Store(&localCache{c}) }

// pushLocal writes the local cache's digests with SET NX; ok is false if
// a batch failed (the next heartbeat tries again).
func (r *Replay) pushLocal(now time.Time) (written, known int, ok bool) {
	c := r.local.Load()
	if c == nil {
		return 0, 0, true
	}
	var batch []pendingKey
	ok = true
	flush := func() {
		w, k, err := r.write(batch, now)
		written, known = written+w, known+k
		ok = ok && err == nil
		batch = batch[:0]
	}
	c.Each(now, func(k replay.Key, exp time.Time) bool {
		batch = append(batch, pendingKey{k, exp})
		if len(batch) == reconcileBatch {
			flush()
		}
		return ok
	})
	if ok && len(batch) > 0 {
		flush()
	}
	return written, known, ok
}

// write records a batch of digests with SET NX in one pipeline: written
// is how many were new to the store, known how many it had.
func (r *Replay) write(batch []pendingKey, now time.Time) (written, known int, err error) {
	var cmds []*redis.BoolCmd
	err = r.s.call(state.OpReconcile, r.s.o.SyncTimeout, func(ctx context.Context) error {
		pipe := r.s.rdb.Pipeline()
		cmds = cmds[:0]
		for _, p := range batch {
			if ttl := p.exp.Sub(now); ttl > 0 {
				cmds = append(cmds, pipe.SetNX(ctx, r.key(p.k), 1, ttl))
			}
		}
		if len(cmds) == 0 {
			return nil
		}
		_, err := pipe.Exec(ctx)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	for _, c := range cmds {
		if c.Val() {
			written++
		} else {
			known++
		}
	}
	return written, known, nil
}

func (r *Replay) key(k replay.Key) string {
	var b [2 * len(replay.Key{})]byte
	hex.Encode(b[:], k[:])
	return r.s.prefix + "replay:" + string(b[:])
}

// Seen reports whether k was recorded by any replica, and records it until
// expires. An expiry not after now records nothing. On any trouble with the
// store it reports false (see the type's comment).
func (r *Replay) Seen(k replay.Key, now, expires time.Time) bool {
	ttl := expires.Sub(now)
	if ttl <= 0 {
		return false
	}
	if !r.s.health.Usable() {
		r.s.o.Observer.StateFallback(state.OpReplay)
		r.keep(k, expires)
		return false
	}
	var fresh bool
	err := r.s.call(state.OpReplay, r.s.o.Timeout, func(ctx context.Context) error {
		var err error
		fresh, err = r.s.rdb.SetNX(ctx, r.key(k), 1, ttl).Result()
		return err
	})
	if err != nil {
		r.s.o.Observer.StateFallback(state.OpReplay)
		r.keep(k, expires)
		return false
	}
	return !fresh
}

// keep queues a digest for reconciliation, dropping the oldest when full.
func (r *Replay) keep(k replay.Key, exp time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) < r.s.o.MaxPending {
		r.pending = append(r.pending, pendingKey{k, exp})
		return
	}
	r.pending[r.next] = pendingKey{k, exp}
	r.next = (r.next + 1) % len(r.pending)
	r.dropped++
}

func (r *Replay) pendingLen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending) + r.writing
}

// reconcile writes the kept digests still inside their window back with
// SET NX, in batches. A batch that fails is kept for the next attempt. It
// returns how many were written and how many the store already had (a
// replica, or an earlier attempt of this one whose answer was lost, had
// recorded them).
func (r *Replay) reconcile(now time.Time) (written, known int) {
	r.mu.Lock()
	keys := r.pending
	r.pending, r.next, r.writing = nil, 0, len(keys)
	dropped := r.dropped
	r.dropped = 0
	r.mu.Unlock()
	done := func(n int) { // n digests are no longer in progress
		r.mu.Lock()
		r.writing = max(r.writing-n, 0)
		r.mu.Unlock()
	}
	defer done(len(keys))
	if dropped > 0 {
		r.s.log.Warn("replay digests recorded while the state store was down were dropped: more than the pending limit",
			zap.Uint64("dropped", dropped), zap.Int("limit", r.s.o.MaxPending))
	}
	live := keys[:0]
	for _, p := range keys {
		if p.exp.After(now) {
			live = append(live, p)
		}
	}
	for len(live) > 0 {
		batch := live[:min(len(live), reconcileBatch)]
		live = live[len(batch):]
		w, k, err := r.write(batch, now)
		if err != nil { // keep the rest for the next attempt
			done(len(keys))
			for _, p := range batch {
				r.keep(p.k, p.exp)
			}
			for _, p := range live {
				r.keep(p.k, p.exp)
			}
			return written, known
		}
		done(len(batch))
		written, known = written+w, known+k
	}
	return written, known
}
