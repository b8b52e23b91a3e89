package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/state"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeState struct{ st state.Stats }

func (f fakeState) Stats() state.Stats { return f.st }

// The store's calls, fallbacks and pulled stats reach /metrics; without a
// store the health is off and nothing is up.
func TestStateMetrics(t *testing.T) {
	m := New(Options{})
	want := func(expected string, names ...string) {
		t.Helper()
		if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(expected), names...); err != nil {
			t.Fatal(err)
		}
	}
	want(`
# HELP mtproxy_state_up 1 when the shared state store (STATE_URL) answers: its health is up or degraded.
# TYPE mtproxy_state_up gauge
mtproxy_state_up 0
# HELP mtproxy_state_health 1 for the current health of the shared state store: off (no STATE_URL), up, degraded, down.
# TYPE mtproxy_state_health gauge
mtproxy_state_health{state="degraded"} 0
mtproxy_state_health{state="down"} 0
mtproxy_state_health{state="off"} 1
mtproxy_state_health{state="up"} 0
`, "mtproxy_state_up", "mtproxy_state_health")

	m.SetState(fakeState{state.Stats{Health: state.Degraded, PendingReplay: 7, UnsyncedBytes: 4096, Replicas: 2}})
	m.StateCall(state.OpReplay, 3*time.Millisecond, nil)
	m.StateCall(state.OpReplay, 50*time.Millisecond, errors.New("timeout"))
	m.StateFallback(state.OpReplay)
	m.StateFallback(state.OpAdmit)
	m.StateFallback(state.Op(200)) // out of range: ignored
	m.StateCall(state.Op(200), time.Second, nil)
	want(`
# HELP mtproxy_state_up 1 when the shared state store (STATE_URL) answers: its health is up or degraded.
# TYPE mtproxy_state_up gauge
mtproxy_state_up 1
# HELP mtproxy_state_pending_digests Handshake digests recorded while the shared store could not be asked, waiting to be written back.
# TYPE mtproxy_state_pending_digests gauge
mtproxy_state_pending_digests 7
# HELP mtproxy_state_unsynced_bytes Quota usage counted here and not yet added to the fleet's totals.
# TYPE mtproxy_state_unsynced_bytes gauge
mtproxy_state_unsynced_bytes 4096
# HELP mtproxy_state_replicas Live replicas in the shared store at the last heartbeat (0 while it is down).
# TYPE mtproxy_state_replicas gauge
mtproxy_state_replicas 2
`, "mtproxy_state_up", "mtproxy_state_pending_digests", "mtproxy_state_unsynced_bytes", "mtproxy_state_replicas")
	s := m.Snapshot().State
	if s.Errors[state.OpReplay] != 1 || s.Fallbacks[state.OpReplay] != 1 || s.Fallbacks[state.OpAdmit] != 1 || s.Errors[state.OpAdmit] != 0 {
		t.Fatalf("snapshot %+v", s)
	}
	if n := testutil.CollectAndCount(m.st.latencyVec); n != state.NumOps {
		t.Fatalf("%d latency series, want one per op from the start", n)
	}
	for _, series := range families(t, m)["mtproxy_state_latency_seconds"].Metric {
		want := uint64(0)
		if series.Label[0].GetValue() == "replay" {
			want = 2
		}
		if got := series.Histogram.GetSampleCount(); got != want {
			t.Errorf("latency of %s: %d samples, want %d", series.Label[0].GetValue(), got, want)
		}
	}
}
