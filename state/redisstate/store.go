package redisstate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/state"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Defaults of Options.
const (
	// DefaultTimeout bounds a call on the handshake path (the replay check,
	// an admission): what a handshake may wait for the store at worst.
	DefaultTimeout = 50 * time.Millisecond
	// DefaultSyncTimeout bounds a background call (flush, heartbeat,
	// reconciliation).
	DefaultSyncTimeout = time.Second
	// DefaultFlushInterval is how often quota usage is flushed and the
	// fleet's totals read back.
	DefaultFlushInterval = time.Second
	// DefaultLeaseTTL is how long a replica counts without a heartbeat;
	// it heartbeats every third of it.
	DefaultLeaseTTL = 15 * time.Second
	// DefaultProbeInterval is how often a Down store is probed.
	DefaultProbeInterval = time.Second
	// DefaultMaxPending bounds the replay digests kept for reconciliation
	// while the store is down (about 40 bytes each); the oldest go first.
	DefaultMaxPending = 65536
)

// Options configure a Store. Zero values are defaults.
type Options struct {
	// Timeout bounds the calls made on the handshake path. Default:
	// DefaultTimeout (50ms).
	Timeout time.Duration
	// SyncTimeout bounds the background calls. Default:
	// DefaultSyncTimeout (1s).
	SyncTimeout time.Duration
	// FlushInterval is the period of the usage flush. Default:
	// DefaultFlushInterval (1s).
	FlushInterval time.Duration
	// LeaseTTL is how long this replica's connections count after its last
	// heartbeat. Default: DefaultLeaseTTL (15s).
	LeaseTTL time.Duration
	// ProbeInterval is the period of the probe of a Down store. Default:
	// DefaultProbeInterval (1s).
	ProbeInterval time.Duration
	// DownAfter is how many failed calls in a row make the store Down.
	// Default: state.DefaultDownAfter (3).
	DownAfter int
	// MaxPending bounds the replay digests kept while the store is down.
	// Default: DefaultMaxPending (65536).
	MaxPending int
	// Replica names this process in the store. Default: the host name and
	// a random suffix (a new one per start).
	Replica string
	// Observer receives every call. Default: none.
	Observer state.Observer
	// Logger receives the health transitions. Default: none.
	Logger *zap.Logger
}

func (o *Options) defaults() {
	defaults.SetPositive(&o.Timeout, DefaultTimeout)
	defaults.SetPositive(&o.SyncTimeout, DefaultSyncTimeout)
	defaults.SetPositive(&o.FlushInterval, DefaultFlushInterval)
	defaults.SetPositive(&o.LeaseTTL, DefaultLeaseTTL)
	defaults.SetPositive(&o.ProbeInterval, DefaultProbeInterval)
	defaults.SetPositive(&o.DownAfter, state.DefaultDownAfter)
	defaults.SetPositive(&o.MaxPending, DefaultMaxPending)
	if o.Replica == "" {
		o.Replica = defaultReplica()
	}
	if o.Observer == nil {
		o.Observer = state.NopObserver{}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
}

// Store is the connection to the shared store and its health; Replay and
// Ledger are its two uses. Its methods are safe for concurrent use.
type Store struct {
	o      Options
	prefix string
	rdb    *redis.Client
	health *state.Tracker
	log    *zap.Logger

	// ctx is cancelled by Close, ending calls in flight.
	ctx    context.Context
	cancel context.CancelFunc

	replay *Replay
	leases *Leases
	usage  *Usage

	ledgerOnce sync.Once
	users      *UsersLedger // package users' Ledger, once asked for

	replicas  atomic.Int64
	epoch     string // the store's epoch at the last push of the local cache (the loop's)
	lastErr   atomic.Pointer[string]
	recovered chan struct{} // a Down store answered again
	wake      chan struct{} // a lease change wants writing soon
}

// New returns a store for c. It does not connect: the first call does, and
// Run keeps the heartbeat and flushes going.
func New(c *Config, o Options) *Store {
	o.defaults()
	s := &Store{o: o, prefix: c.Prefix, rdb: redis.NewClient(c.Redis), log: o.Logger,
		recovered: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.health = state.NewTracker(o.DownAfter, s.changed)
	s.replay = newReplay(s)
	s.leases = newLeases(s)
	s.usage = newUsage(s)
	return s
}

// Replica returns this process's id in the store.
func (s *Store) Replica() string { return s.o.Replica }

// Health returns the store's health as this replica sees it.
func (s *Store) Health() state.Health { return s.health.Health() }

// Replay returns the fleet-wide replay store.
func (s *Store) Replay() *Replay { return s.replay }

// Stats returns the store's health and backlog.
func (s *Store) Stats() state.Stats {
	st := state.Stats{Health: s.health.Health(), PendingReplay: s.replay.pendingLen(),
		UnsyncedBytes: s.usage.unsynced()}
	if st.Health.Reachable() {
		st.Replicas = int(s.replicas.Load())
	}
	return st
}

// Ping checks the store answers, within the sync timeout, and counts the
// outcome in its health (a start-up check: the proxy starts either way).
func (s *Store) Ping() error {
	return s.call(state.OpPing, s.o.SyncTimeout, func(ctx context.Context) error {
		return s.rdb.Ping(ctx).Err()
	})
}

// call runs f with a timeout, and reports its duration and outcome to the
// observer and the health tracker. redis.Nil is an answer, not an error.
func (s *Store) call(op state.Op, timeout time.Duration, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(s.ctx, timeout)
	t0 := time.Now()
	err := f(ctx)
	d := time.Since(t0)
	cancel()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	if err != nil {
		msg := err.Error()
		s.lastErr.Store(&msg)
	}
	s.o.Observer.StateCall(op, d, err)
	s.health.Result(err)
	return err
}

// changed logs a health transition and wakes the reconciliation when the
// store is back. It runs with the tracker's lock held.
func (s *Store) changed(from, to state.Health) {
	cause := ""
	if p := s.lastErr.Load(); p != nil {
		cause = *p
	}
	switch to {
	case state.Down:
		s.log.Warn("the shared state store is down: clients go on with local state (replay checks, limits and quotas of this replica) until it answers",
			zap.String("cause", cause), zap.Int("failures", s.o.DownAfter))
	case state.Degraded:
		s.log.Info("the shared state store failed a call; the handshake path falls back to local state for it", zap.String("cause", cause))
	case state.Up:
		if from == state.Down {
			s.log.Info("the shared state store answers again; writing back what was decided locally")
			select {
			case s.recovered <- struct{}{}:
			default:
			}
		}
	}
}

// key returns the prefixed key of parts joined by ':'.
func (s *Store) key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// Close leaves the fleet (this replica's lease and counts go at once
// rather than after LeaseTTL) and closes the client.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.o.SyncTimeout)
	defer cancel()
	if s.health.Usable() {
		_ = s.rdb.ZRem(ctx, s.key("replicas"), s.o.Replica).Err()
	}
	s.cancel()
	return s.rdb.Close()
}

func defaultReplica() string {
	h, _ := os.Hostname()
	h = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return -1
	}, h)
	if len(h) > 48 {
		h = h[:48]
	}
	if h == "" {
		h = "mtproxy"
	}
	return h + "-" + randomHex()[:8]
}

// randomHex is 16 random hex digits.
func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
