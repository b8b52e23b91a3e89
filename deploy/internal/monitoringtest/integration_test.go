package monitoringtest

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// integrationValues substitute the dashboards' variables as Grafana would
// for this Prometheus: the job, every instance, every DC, and a rate
// window wide enough for the few seconds of samples taken.
var integrationValues = map[string]string{
	rateIntervalVar: "1m",
	"job":           "mtproxy",
	"instance":      ".+",
	"dc":            ".+",
}

// TestPrometheusIntegration runs the real binary with client traffic,
// scraped every second by Debian's Prometheus loading the shipped rules,
// and checks through Prometheus' HTTP API that every metric of the
// registry arrives, every dashboard query and rule expression evaluates,
// the core panels show the traffic, exemplars lead to exported spans, and
// the scrape passes `promtool check metrics`.
func TestPrometheusIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the proxy and Prometheus")
	}
	promBin := requireTool(t, "prometheus", "prometheus")
	promtool := requireTool(t, "promtool", "prometheus")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	rig := startProxyRig(t, ctx)
	prom := startPrometheus(t, ctx, promBin, rig.internal)
	waitFor(t, ctx, "the first scrape of the proxy", []*process{rig.proc}, func() error {
		return expectValue(ctx, prom, `up{job="mtproxy"}`, 1)
	})
	tr := pushTraffic(t, ctx, rig)
	waitFor(t, ctx, "Prometheus to see the traffic", []*process{rig.proc}, func() error {
		return expectValue(ctx, prom, `sum(mtproxy_client_handshakes_total{job="mtproxy", result="ok"})`, float64(tr.ok))
	})
	time.Sleep(3 * time.Second) // a few more samples for the rate windows

	t.Run("RegistryMetricsPresent", func(t *testing.T) { checkRegistryPresent(t, ctx, prom) })
	t.Run("DashboardQueries", func(t *testing.T) { checkDashboardQueries(t, ctx, prom) })
	t.Run("RuleExpressions", func(t *testing.T) { checkRuleExpressions(t, ctx, prom) })
	t.Run("Exemplars", func(t *testing.T) { checkExemplars(t, ctx, prom, rig) })
	t.Run("PromtoolCheckMetrics", func(t *testing.T) { checkScrapeLint(t, ctx, promtool, rig) })
	t.Run("RulesHealthy", func(t *testing.T) { checkRulesHealthy(t, ctx, prom) })
}

// expectValue is nil once expr has one series worth at least want.
func expectValue(ctx context.Context, prom promAPI, expr string, want float64) error {
	s, err := prom.query(ctx, expr)
	if err != nil {
		return err
	}
	if len(s) != 1 || s[0].last() < want {
		return fmt.Errorf("%s = %v, want %v", expr, s, want)
	}
	return nil
}

// checkRegistryPresent: every sample name the proxy's registry declares is
// stored by Prometheus (issue 4's "every metric listed is present"), and
// every mtproxy_ name Prometheus holds is one the registry declares.
func checkRegistryPresent(t *testing.T, ctx context.Context, prom promAPI) {
	want := map[string]bool{}
	for name, mf := range newRegistry(t).families {
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			want[name+"_bucket"], want[name+"_sum"], want[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			want[name], want[name+"_sum"], want[name+"_count"] = true, true, true
		default:
			want[name] = true
		}
	}
	names, err := prom.names(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
		if strings.HasPrefix(n, "mtproxy_") && !want[n] {
			t.Errorf("Prometheus holds %s, which the registry does not declare", n)
		}
	}
	var missing []string
	for n := range want {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("not in Prometheus after scrapes of the binary: %v", missing)
	}
}

// corePanels must show the traffic pushTraffic made: each names the label
// whose values must all appear with a non-zero value ("" for any series).
var corePanels = []struct {
	board, panel, label string
	values              []string
}{
	{"mtproxy-overview.json", "Clients connected", "", nil},
	{"mtproxy-overview.json", "Handshakes by result", "result", []string{"ok", "bad_secret", "bad_sni", "stale_timestamp", "replay"}},
	{"mtproxy-overview.json", "Successful handshakes by transport", "transport", []string{"abridged", "intermediate", "padded", "faketls"}},
	{"mtproxy-overview.json", "Traffic by direction", "direction", []string{"from_client", "to_client"}},
	{"mtproxy-overview.json", "Traffic by DC", "dc", []string{"2", "-2", "4", "1"}},
	{"mtproxy-overview.json", "Connections by secret", "secret", []string{"alice"}},
	{"mtproxy-overview.json", "Traffic by secret", "secret", []string{"alice", "bob"}},
	{"mtproxy-overview.json", "Fronted connections by cause", "reason", []string{"bad_secret", "bad_sni"}},
	{"mtproxy-overview.json", "Handshake latency", "", nil},
	{"mtproxy-reachability.json", "Client funnel", "stage", []string{"accepted", "first_byte", "handshake_read", "authenticated", "upstream_connected", "upstream_answered"}},
	{"mtproxy-reachability.json", "Fingerprint mix", "ja4", nil},
	{"mtproxy-reachability.json", "Probe outcomes", "result", []string{"ok"}},
	{"mtproxy-upstream.json", "DC reachability", "dc", []string{"1", "2", "3", "4", "5"}},
	{"mtproxy-upstream.json", "Targets ready", "", nil},
	{"mtproxy-upstream.json", "Clients by DC", "dc", []string{"2", "-2", "4", "1"}},
	{"mtproxy-host.json", "Goroutines", "", nil},
	{"mtproxy-host.json", "Memory", "", nil},
}

// checkDashboardQueries evaluates every panel query over the last minute
// as Grafana would: no query may fail, and the core panels show the
// traffic.
func checkDashboardQueries(t *testing.T, ctx context.Context, prom promAPI) {
	results := map[string][]sample{}
	for _, q := range targets(t, loadBoards(t)) {
		expr, err := substitute(q.query.Expr, integrationValues)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		s, err := prom.queryRange(ctx, expr, time.Minute, time.Second)
		if err != nil {
			t.Errorf("%s: %s: %v", q, expr, err)
			continue
		}
		results[q.board+"/"+q.panel] = append(results[q.board+"/"+q.panel], s...)
	}
	for _, c := range corePanels {
		series, ok := results[c.board+"/"+c.panel]
		if !ok {
			t.Errorf("%s: no panel %q", c.board, c.panel)
			continue
		}
		seen := map[string]bool{}
		for _, s := range series {
			if maxValue(s) > 0 {
				seen[s.Metric[c.label]] = true
			}
		}
		if c.label == "" && len(seen) == 0 {
			t.Errorf("%s: %s: no non-zero data", c.board, c.panel)
		}
		for _, v := range c.values {
			if !seen[v] {
				t.Errorf("%s: %s: no non-zero series with %s=%q (got %v)", c.board, c.panel, c.label, v, keys(seen))
			}
		}
	}
}

func maxValue(s sample) float64 {
	m := s.last()
	for _, v := range s.Values {
		if f := (sample{Value: v}).last(); f > m {
			m = f
		}
	}
	return m
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkRuleExpressions evaluates every shipped rule expression now.
func checkRuleExpressions(t *testing.T, ctx context.Context, prom promAPI) {
	for _, r := range loadRules(t) {
		if _, err := prom.query(ctx, r.Expr); err != nil {
			t.Errorf("%s: %v", r.name(), err)
		}
	}
}

// checkRulesHealthy waits until Prometheus evaluated every loaded rule
// (the recording group runs every 30 s) and requires them all healthy.
func checkRulesHealthy(t *testing.T, ctx context.Context, prom promAPI) {
	want := len(loadRules(t))
	var g ruleGroups
	waitFor(t, ctx, "every rule evaluated", nil, func() error {
		var err error
		if g, err = prom.rules(ctx); err != nil {
			return err
		}
		n, pending := 0, 0
		for _, grp := range g.Groups {
			for _, r := range grp.Rules {
				n++
				if r.Health == "unknown" {
					pending++
				}
			}
		}
		if n != want || pending > 0 {
			return fmt.Errorf("%d rules loaded (want %d), %d not evaluated yet", n, want, pending)
		}
		return nil
	})
	for _, grp := range g.Groups {
		for _, r := range grp.Rules {
			if r.Health != "ok" {
				t.Errorf("%s/%s: health %s: %s", grp.Name, r.Name, r.Health, r.LastError)
			}
		}
	}
}

var traceID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// checkExemplars: the latency histograms' exemplars reach Prometheus over
// OpenMetrics with a trace_id, and those trace ids are the proxy's
// exported traces (what Grafana's exemplar links open).
func checkExemplars(t *testing.T, ctx context.Context, prom promAPI, rig *proxyRig) {
	ids := map[string]bool{}
	for _, metric := range []string{"mtproxy_client_handshake_duration_seconds_bucket", "mtproxy_upstream_dial_duration_seconds_bucket"} {
		series, err := prom.exemplars(ctx, metric+`{job="mtproxy"}`, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range series {
			for _, e := range s.Exemplars {
				n++
				id := e.Labels["trace_id"]
				if !traceID.MatchString(id) {
					t.Errorf("%s: exemplar labels %v, want a trace_id of 32 hex digits", metric, e.Labels)
				}
				ids[id] = true
			}
		}
		if n == 0 {
			t.Errorf("%s: no exemplars in Prometheus", metric)
		}
	}
	waitFor(t, ctx, "a span of an exemplar's trace", nil, func() error {
		for _, s := range rig.traces.Spans() {
			if ids[hex.EncodeToString(s.GetTraceId())] {
				return nil
			}
		}
		return fmt.Errorf("%d spans received, none in the %d exemplar traces", rig.traces.SpanCount(), len(ids))
	})
}

// checkScrapeLint runs `promtool check metrics` on a raw scrape of the
// binary's /metrics.
func checkScrapeLint(t *testing.T, ctx context.Context, promtool string, rig *proxyRig) {
	status, body, err := httpGet(ctx, "http://"+rig.internal+"/metrics")
	if err != nil || status != 200 {
		t.Fatalf("GET /metrics: %d %v", status, err)
	}
	cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
