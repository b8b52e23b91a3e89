package monitoringtest

import (
	"strconv"
	"testing"

	"github.com/mtproxy/mtproxy/metrics"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// targetLabels are attached by Prometheus, not the proxy: matchers on them
// say nothing about the registry.
var targetLabels = map[string]bool{"job": true, "instance": true}

// registry is every series the proxy exposes, by sample name (histograms
// as name_bucket, name_sum and name_count), from a registry built in
// process. Every label value of the proxy is known at start, so the
// series of a fresh registry are all there will ever be (secret and dc
// values aside, which depend on the configuration).
type registry struct {
	families map[string]*dto.MetricFamily
	series   map[string][]labels.Labels
}

// testSecrets are the secret labels of the in-process registry.
var testSecrets = []string{"alice", "bob"}

func newRegistry(t testing.TB) *registry {
	t.Helper()
	m := metrics.New(metrics.Options{Secrets: testSecrets, Mode: metrics.ModeMiddle})
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	r := &registry{families: map[string]*dto.MetricFamily{}, series: map[string][]labels.Labels{}}
	for _, mf := range mfs {
		r.families[mf.GetName()] = mf
		for _, mt := range mf.GetMetric() {
			r.add(mf, mt)
		}
	}
	return r
}

func (r *registry) add(mf *dto.MetricFamily, mt *dto.Metric) {
	base := labels.NewBuilder(labels.EmptyLabels())
	for _, lp := range mt.GetLabel() {
		base.Set(lp.GetName(), lp.GetValue())
	}
	name := mf.GetName()
	put := func(sample string, extra ...string) {
		b := labels.NewBuilder(base.Labels())
		for i := 0; i+1 < len(extra); i += 2 {
			b.Set(extra[i], extra[i+1])
		}
		r.series[sample] = append(r.series[sample], b.Labels())
	}
	switch mf.GetType() {
	case dto.MetricType_HISTOGRAM:
		for _, bk := range mt.GetHistogram().GetBucket() {
			put(name+"_bucket", "le", strconv.FormatFloat(bk.GetUpperBound(), 'g', -1, 64))
		}
		put(name+"_bucket", "le", "+Inf")
		put(name + "_sum")
		put(name + "_count")
	case dto.MetricType_SUMMARY:
		for _, qt := range mt.GetSummary().GetQuantile() {
			put(name, "quantile", strconv.FormatFloat(qt.GetQuantile(), 'g', -1, 64))
		}
		put(name + "_sum")
		put(name + "_count")
	default:
		put(name)
	}
}

// has reports a sample name of the registry.
func (r *registry) has(name string) bool { return len(r.series[name]) > 0 }

// matches reports whether a series of name satisfies every matcher,
// target labels aside.
func (r *registry) matches(name string, ms []*labels.Matcher) bool {
	for _, s := range r.series[name] {
		ok := true
		for _, m := range ms {
			if m.Name == model.MetricNameLabel || targetLabels[m.Name] {
				continue
			}
			if !m.Matches(s.Get(m.Name)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestRegistryCoversCatalogue guards the tests below against an empty or
// partial registry: the metric catalogue's families must all be there.
func TestRegistryCoversCatalogue(t *testing.T) {
	r := newRegistry(t)
	for _, name := range []string{
		"mtproxy_client_connections_active", "mtproxy_client_handshakes_total",
		"mtproxy_client_handshake_duration_seconds_bucket", "mtproxy_upstream_up",
		"mtproxy_middle_connections", "mtproxy_telegram_config_loaded_timestamp_seconds",
		"mtproxy_clock_skew_seconds", "mtproxy_nat_state", "mtproxy_build_info",
		"go_goroutines", "process_resident_memory_bytes", "go_gc_duration_seconds_sum",
	} {
		if !r.has(name) {
			t.Errorf("registry has no %s", name)
		}
	}
	if !r.matches("mtproxy_client_handshakes_total", []*labels.Matcher{
		labels.MustNewMatcher(labels.MatchEqual, "result", "replay"),
		labels.MustNewMatcher(labels.MatchEqual, "job", "anything"),
	}) {
		t.Error(`no mtproxy_client_handshakes_total{result="replay"}`)
	}
	if r.matches("mtproxy_client_handshakes_total", []*labels.Matcher{
		labels.MustNewMatcher(labels.MatchEqual, "result", "no_such_result"),
	}) {
		t.Error("a label value that does not exist matched")
	}
}
