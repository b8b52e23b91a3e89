package redisstate

import (
	"context"
	"strconv"
	"time"

	"github.com/mtproxy/mtproxy/state"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// heartbeatScript refreshes this replica's lease in the replicas set
// (scored by expiry on the server's clock, so replicas' clocks do not
// matter), drops the expired ones, and returns how many are live and the
// store's epoch: a random value the first heartbeat after the store
// started empty sets, so that a replica sees when the store lost its data.
//
// KEYS[1] replicas, KEYS[2] epoch; ARGV[1] replica id, ARGV[2] lease TTL
// in ms, ARGV[3] a new epoch, used if there is none.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], 4 * ttl)
redis.call('SET', KEYS[2], ARGV[3], 'NX')
return {redis.call('ZCARD', KEYS[1]), redis.call('GET', KEYS[2])}
`)

// Run keeps this replica in the fleet until ctx is done: the heartbeat
// every LeaseTTL/3 (with a full rewrite of the lease counts), the usage
// flush every FlushInterval, the probe of a Down store every
// ProbeInterval, and the write-back of what was decided locally when the
// store answers again. On the way out it flushes once more.
func (s *Store) Run(ctx context.Context) {
	beat := time.NewTicker(s.o.LeaseTTL / 3)
	defer beat.Stop()
	flush := time.NewTicker(s.o.FlushInterval)
	defer flush.Stop()
	probe := time.NewTicker(s.o.ProbeInterval)
	defer probe.Stop()
	s.heartbeat()
	s.flushUsers(true)
	for {
		select {
		case <-ctx.Done():
			if s.health.Usable() {
				s.flushUsers(false)
			}
			return
		case <-probe.C:
			if !s.health.Usable() {
				s.heartbeat() // the probe: an answer makes the store Up
			} else if s.replay.pendingLen() > 0 {
				s.reconcile()
			}
		case <-s.recovered:
			s.heartbeat()
			s.reconcile()
			s.flushUsers(true)
		case <-beat.C:
			if s.health.Usable() {
				s.heartbeat()
				s.flushUsers(true)
			}
		case <-flush.C:
			if s.health.Usable() {
				s.flushUsers(false)
			}
		case <-s.wake:
			if s.health.Usable() {
				s.flushUsers(false)
			}
		}
	}
}

// heartbeat refreshes this replica's lease; it doubles as the probe. When
// the store's epoch is not the one this replica last saw (its first
// heartbeat, or a store that lost its data since), the local replay
// cache's digests are written to it.
func (s *Store) heartbeat() {
	var res []any
	err := s.call(state.OpPing, s.o.SyncTimeout, func(ctx context.Context) error {
		var err error
		res, err = heartbeatScript.Run(ctx, s.rdb, []string{s.key("replicas"), s.key("epoch")},
			s.o.Replica, strconv.FormatInt(s.o.LeaseTTL.Milliseconds(), 10), randomHex()).Slice()
		return err
	})
	if err != nil || len(res) != 2 {
		return
	}
	if n, ok := res[0].(int64); ok {
		s.replicas.Store(n)
	}
	if epoch, ok := res[1].(string); ok && epoch != s.epoch {
		written, known, ok := s.replay.pushLocal(time.Now())
		if ok {
			s.epoch = epoch
		}
		if written > 0 {
			s.log.Info("the shared state store had not seen this replica's replay cache: its digests were written to it",
				zap.Int("written", written), zap.Int("already_known", known))
		}
	}
}

// reconcile writes back the replay digests recorded locally.
func (s *Store) reconcile() {
	if written, known := s.replay.reconcile(time.Now()); written+known > 0 {
		s.log.Info("replay digests recorded during the state store's outage written back",
			zap.Int("written", written), zap.Int("already_known", known))
	}
}

// flushUsers writes the lease counts that changed (all of them when
// full) and the usage increments.
func (s *Store) flushUsers(full bool) {
	s.leases.flush(full)
	s.usage.flush(time.Now())
}

// wakeFlush asks the loop to flush soon (a lease was given back).
func (s *Store) wakeFlush() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
