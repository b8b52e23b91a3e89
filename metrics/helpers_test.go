package metrics

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/replay"
	dto "github.com/prometheus/client_model/go"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Test doubles of the pulled sources.
type proxyDouble struct {
	max    int
	bufs   proxy.BufferStats
	replay replay.Stats
}

func (p proxyDouble) MaxConnections() int            { return p.max }
func (p proxyDouble) BufferStats() proxy.BufferStats { return p.bufs }
func (p proxyDouble) Unauthenticated() proxy.UnauthStats {
	return proxy.UnauthStats{Open: 3, Limit: 4096, PerIP: 64}
}
func (p proxyDouble) ReplayStats() replay.Stats { return p.replay }

type proberDouble struct{ health map[int]dcprobe.Health }

func (p *proberDouble) Snapshot() map[int]dcprobe.Health {
	out := make(map[int]dcprobe.Health, len(p.health))
	for k, v := range p.health {
		out[k] = v
	}
	return out
}

type pathsDouble []auto.DCPath

func (p pathsDouble) Paths() []auto.DCPath { return p }

type middleDouble struct{ s middle.Stats }

func (m *middleDouble) Stats() middle.Stats { return m.s }

// parseStats parses a /stats page into its keys, in order, and values.
func parseStats(t testing.TB, page []byte) (keys []string, vals map[string]string) {
	t.Helper()
	vals = map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(page), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok || strings.Contains(v, "\t") {
			t.Fatalf("malformed line %q", line)
		}
		if _, dup := vals[k]; dup {
			t.Fatalf("duplicate key %q", k)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	return keys, vals
}

// families gathers m's registry by name.
func families(t testing.TB, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the value of the series of family name whose labels
// include all the given name/value pairs; it fails unless exactly one
// series matches.
func value(t testing.TB, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	mf, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	var found []float64
	for _, m := range mf.Metric {
		if hasLabels(m, labels) {
			switch {
			case m.Counter != nil:
				found = append(found, m.Counter.GetValue())
			case m.Gauge != nil:
				found = append(found, m.Gauge.GetValue())
			case m.Histogram != nil:
				found = append(found, float64(m.Histogram.GetSampleCount()))
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s%v: %d series match", name, labels, len(found))
	}
	return found[0]
}

// sum adds the values of the series of name that have the given labels.
func sum(t testing.TB, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	var s float64
	for _, m := range fams[name].GetMetric() {
		if hasLabels(m, labels) {
			s += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return s
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		ok := false
		for _, lp := range m.Label {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
