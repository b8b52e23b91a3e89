package state

import (
	"time"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// Op is a kind of call to the shared store: a closed set, used as the
// metric label "op".
type Op uint8

// The store operations.
const (
	// OpReplay records a handshake's digest (on the handshake path).
	OpReplay Op = iota
	// OpAdmit checks and takes a user's connection against the fleet's
	// max_connections and max_ips (on the handshake path).
	OpAdmit
	// OpLeases writes this replica's connections and addresses per user
	// back (after a close, and with every heartbeat).
	OpLeases
	// OpUsage flushes quota usage increments and reads the fleet's totals.
	OpUsage
	// OpPing is the heartbeat: liveness of this replica, and the probe
	// that brings a down store back.
	OpPing
	// OpReconcile writes back what was decided locally while the store
	// was down.
	OpReconcile
	numOps
)

// NumOps is the size of the Op set.
const NumOps = int(numOps)

var opNames = [...]string{OpReplay: "replay", OpAdmit: "admit", OpLeases: "leases", OpUsage: "usage",
	OpPing: "ping", OpReconcile: "reconcile"}

// One name per Op: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(opNames)-int(numOps)]

func (o Op) String() string { return enum.Name(opNames[:], o) }

// Health is the state of the shared store as this replica sees it: a
// closed set, used as the metric label "state".
type Health uint8

// The health states.
const (
	// Off: no STATE_URL, everything is local.
	Off Health = iota
	// Up: the last call succeeded.
	Up
	// Degraded: recent calls failed or timed out, but fewer than the
	// Tracker's limit in a row; the handshake path still asks the store,
	// bounded by its timeout, and falls back to local state on a failure.
	Degraded
	// Down: the store failed too many calls in a row; nothing on the
	// handshake path asks it until a probe succeeds.
	Down
	numHealth
)

// NumHealth is the size of the Health set.
const NumHealth = int(numHealth)

var healthNames = [...]string{Off: "off", Up: "up", Degraded: "degraded", Down: "down"}

// One name per Health: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(healthNames)-int(numHealth)]

func (h Health) String() string { return enum.Name(healthNames[:], h) }

// Reachable reports whether the store answers: Up or Degraded.
func (h Health) Reachable() bool { return h == Up || h == Degraded }

// Observer receives the store's calls. Implementations must be safe for
// concurrent use and cheap: the replay and admission calls are made on the
// handshake path.
type Observer interface {
	// StateCall reports one call (or one pipeline) to the store: how long
	// it took and its error (nil on success; a timeout is an error).
	StateCall(op Op, d time.Duration, err error)
	// StateFallback reports a decision made on local state alone because
	// the store was down or the call failed: a handshake whose replay
	// check, or an admission whose fleet-wide limits, could not be asked.
	StateFallback(op Op)
}

// Stats describe the store at one moment, pulled at scrape time.
type Stats struct {
	Health Health
	// PendingReplay is the handshake digests recorded locally while the
	// store could not be asked, waiting to be written back.
	PendingReplay int
	// UnsyncedBytes is the quota usage counted here and not yet added to
	// the fleet's totals.
	UnsyncedBytes uint64
	// Replicas is the number of live replicas seen at the last heartbeat
	// (0 before one, or while the store is down).
	Replicas int
}

// NopObserver ignores everything.
type NopObserver struct{}

// StateCall implements Observer.
func (NopObserver) StateCall(Op, time.Duration, error) {}

// StateFallback implements Observer.
func (NopObserver) StateFallback(Op) {}
