package metrics

import (
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/state"
	"github.com/prometheus/client_golang/prometheus"
)

// StateSource is what the metrics pull from the shared state store at
// scrape time; *redisstate.Store implements it.
type StateSource interface {
	Stats() state.Stats
}

type stateSource struct{ StateSource }

var _ state.Observer = (*Metrics)(nil) // the shared store's calls

// StateStats is the shared store's part of a Snapshot.
type StateStats struct {
	state.Stats
	// Errors and Fallbacks count, by operation, the calls that failed and
	// the decisions made on local state alone.
	Errors, Fallbacks [state.NumOps]uint64
}

// stateCounters are the store's counters and its latency histogram.
type stateCounters struct {
	errors, fallbacks [state.NumOps]atomic.Uint64
	latencyVec        *prometheus.HistogramVec
	latency           [state.NumOps]prometheus.Observer
}

// stateBuckets (seconds) cover a loopback round trip up to the background
// calls' one-second timeout; the handshake path's timeout is 50 ms.
func stateBuckets() []float64 {
	return []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}
}

func (c *stateCounters) init() {
	c.latencyVec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mtproxy_state_latency_seconds",
		Help:    "Duration of calls to the shared state store (STATE_URL), failed ones included, by operation.",
		Buckets: stateBuckets(),
	}, []string{"op"})
	for op := range state.NumOps {
		c.latency[op] = c.latencyVec.WithLabelValues(state.Op(op).String())
	}
}

// SetState registers the shared state store, whose health and backlog are
// read at scrape time. Without one the store is reported off.
func (m *Metrics) SetState(s StateSource) { m.state.Store(&stateSource{s}) }

// StateCall implements state.Observer.
func (m *Metrics) StateCall(op state.Op, d time.Duration, err error) {
	if int(op) >= state.NumOps {
		return
	}
	m.st.latency[op].Observe(d.Seconds())
	if err != nil {
		m.st.errors[op].Add(1)
	}
}

// StateFallback implements state.Observer.
func (m *Metrics) StateFallback(op state.Op) {
	if int(op) < state.NumOps {
		m.st.fallbacks[op].Add(1)
	}
}

func (m *Metrics) fillState(s *Snapshot) {
	st := &s.State
	if src := m.state.Load(); src != nil {
		st.Stats = src.Stats()
	}
	for i := range st.Errors {
		st.Errors[i] = m.st.errors[i].Load()
		st.Fallbacks[i] = m.st.fallbacks[i].Load()
	}
}

// stateDescs are the store's metrics rendered from a Snapshot.
type stateDescs struct {
	up, health, errors, fallbacks, pending, unsynced, replicas *prometheus.Desc
}

func newStateDescs(d func(name, help string, labels ...string) *prometheus.Desc) stateDescs {
	return stateDescs{
		up:        d("state_up", "1 when the shared state store (STATE_URL) answers: its health is up or degraded."),
		health:    d("state_health", "1 for the current health of the shared state store: off (no STATE_URL), up, degraded, down.", "state"),
		errors:    d("state_errors_total", "Calls to the shared state store that failed or timed out, by operation.", "op"),
		fallbacks: d("state_fallbacks_total", "Decisions made on this replica's local state because the shared store was down or failed, by operation.", "op"),
		pending:   d("state_pending_digests", "Handshake digests recorded while the shared store could not be asked, waiting to be written back."),
		unsynced:  d("state_unsynced_bytes", "Quota usage counted here and not yet added to the fleet's totals."),
		replicas:  d("state_replicas", "Live replicas in the shared store at the last heartbeat (0 while it is down)."),
	}
}

func (d stateDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.up, d.health, d.errors, d.fallbacks, d.pending, d.unsynced, d.replicas}
}

func (c *collector) state(e emitter, s *Snapshot) {
	d, st := c.d.state, &s.State
	e.gauge(d.up, b2f(st.Health.Reachable()))
	for h := range state.NumHealth {
		e.gauge(d.health, b2f(st.Health == state.Health(h)), state.Health(h).String())
	}
	for op := range state.NumOps {
		e.counter(d.errors, st.Errors[op], state.Op(op).String())
		e.counter(d.fallbacks, st.Fallbacks[op], state.Op(op).String())
	}
	e.gauge(d.pending, float64(st.PendingReplay))
	e.gauge(d.unsynced, float64(st.UnsyncedBytes))
	e.gauge(d.replicas, float64(st.Replicas))
}
