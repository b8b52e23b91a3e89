package monitoringtest

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// staticWindow stands for $__rate_interval in the static checks: a
// window nobody writes by hand, so every range found after substitution
// must be it.
const staticWindow = 7919 * time.Second

// staticValues substitute the dashboards' variables for parsing.
var staticValues = map[string]string{
	rateIntervalVar: "7919s",
	"job":           "mtproxy",
	"instance":      ".+",
	"dc":            ".+",
}

// TestDashboardsModel checks the structure Grafana relies on: uids named
// after the files, unique panel ids, Prometheus queries with a refId, the
// shared template variables.
func TestDashboardsModel(t *testing.T) {
	for _, b := range loadBoards(t) {
		if want := strings.TrimSuffix(b.file, ".json"); b.model.Uid == nil || *b.model.Uid != want {
			t.Errorf("%s: uid %v, want %q", b.file, b.model.Uid, want)
		}
		ids := map[uint32]bool{}
		for _, p := range b.model.Panels {
			if p.RowPanel != nil {
				ids[p.RowPanel.Id] = true
			}
		}
		for _, p := range panels(b.model) {
			if p.Id == nil || ids[*p.Id] {
				t.Errorf("%s: panel %v: missing or repeated id", b.file, p.Title)
				continue
			}
			ids[*p.Id] = true
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %v has no query", b.file, p.Title)
			}
		}
		vars := variables(b.model)
		ds, ok := vars["datasource"]
		if !ok || ds.Type != "datasource" || ds.Query == nil || ds.Query.String == nil || *ds.Query.String != "prometheus" {
			t.Errorf("%s: no datasource variable of type prometheus", b.file)
		}
		for _, name := range []string{"job", "instance"} {
			v, ok := vars[name]
			if !ok || v.Type != "query" {
				t.Errorf("%s: no %s query variable", b.file, name)
			}
		}
		if v := vars["instance"]; v.Multi == nil || !*v.Multi || v.AllValue == nil || *v.AllValue != ".+" {
			t.Errorf("%s: instance must be multi-value with All = .+, to serve a fleet", b.file)
		}
	}
	for _, q := range targets(t, loadBoards(t)) {
		if q.query.RefId == nil || *q.query.RefId == "" {
			t.Errorf("%s: query without refId", q)
		}
	}
}

// TestDashboardQueries parses every panel query as PromQL once the
// variables are substituted, and checks every metric and label it
// selects against the proxy's registry, its variables' placement, its
// windows ($__rate_interval only) and its job and instance matchers.
func TestDashboardQueries(t *testing.T) {
	r := newRegistry(t)
	for _, q := range targets(t, loadBoards(t)) {
		expr := q.query.Expr
		for _, p := range checkVariableUse(expr) {
			t.Errorf("%s: %s", q, p)
		}
		sub, err := substitute(expr, staticValues)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		e, err := promParser.ParseExpr(sub)
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", q, expr, err)
			continue
		}
		for _, p := range checkSelectors(r, e, nil) {
			t.Errorf("%s: %s", q, p)
		}
		for _, w := range rangesOf(e) {
			if w != staticWindow {
				t.Errorf("%s: %q uses a %v window; use $__rate_interval", q, expr, w)
			}
		}
		for _, vs := range selectorsOf(e) {
			s := vs.String()
			if !strings.Contains(s, `job=~"mtproxy"`) || !strings.Contains(s, `instance=~".+"`) {
				t.Errorf("%s: %s does not follow the job and instance variables", q, s)
			}
		}
	}
}

// labelValues is Grafana's label_values(selector, label) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)

// TestDashboardVariableQueries checks the query variables: label_values
// over a selector of the registry, for a label its series have.
func TestDashboardVariableQueries(t *testing.T) {
	r := newRegistry(t)
	for _, b := range loadBoards(t) {
		for name, v := range variables(b.model) {
			if v.Type != "query" {
				continue
			}
			if v.Query == nil || v.Query.String == nil {
				t.Errorf("%s: variable %s has no query", b.file, name)
				continue
			}
			m := labelValues.FindStringSubmatch(*v.Query.String)
			if m == nil {
				t.Errorf("%s: variable %s: %q is not label_values(selector, label)", b.file, name, *v.Query.String)
				continue
			}
			sub, err := substitute(m[1], staticValues)
			if err != nil {
				t.Errorf("%s: variable %s: %v", b.file, name, err)
				continue
			}
			e, err := promParser.ParseExpr(sub)
			if err != nil {
				t.Errorf("%s: variable %s: %v", b.file, name, err)
				continue
			}
			for _, p := range checkSelectors(r, e, nil) {
				t.Errorf("%s: variable %s: %s", b.file, name, p)
			}
			if targetLabels[m[2]] {
				continue
			}
			for _, vs := range selectorsOf(e) {
				n, _ := selectorName(vs)
				if s := r.series[n]; len(s) == 0 || !s[0].Has(m[2]) {
					t.Errorf("%s: variable %s: %s has no label %s", b.file, name, n, m[2])
				}
			}
		}
	}
}

// TestDashboardsNoDatasourceUID walks the raw JSON: every uid below the
// dashboard's own is a variable reference (${datasource}, ${traces}) to a
// datasource variable of the dashboard, and no datasource variable carries
// a current value from someone's Grafana.
func TestDashboardsNoDatasourceUID(t *testing.T) {
	ref := regexp.MustCompile(`^\$\{(\w+)\}$`)
	for _, b := range loadBoards(t) {
		vars := variables(b.model)
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, c := range x {
					p := path + "." + k
					if k == "uid" && path != "" {
						s, _ := c.(string)
						m := ref.FindStringSubmatch(s)
						if m == nil {
							t.Errorf("%s: %s = %v: a hard-coded uid", b.file, p, c)
						} else if vars[m[1]].Type != "datasource" {
							t.Errorf("%s: %s = %s: not a datasource variable", b.file, p, s)
						}
					}
					if k == "datasource" {
						if s, ok := c.(string); ok && !strings.HasPrefix(s, "$") {
							t.Errorf("%s: %s = %q: a datasource by name", b.file, p, s)
						}
					}
					walk(p, c)
				}
			case []any:
				for i, c := range x {
					walk(fmt.Sprintf("%s[%d]", path, i), c)
				}
			}
		}
		walk("", b.raw)
		for name, v := range vars {
			if v.Type == "datasource" && (v.Current != nil || len(v.Options) > 0) {
				t.Errorf("%s: datasource variable %s has a saved current value", b.file, name)
			}
		}
	}
}

// exemplarHistograms are the latency histograms whose observations carry
// the trace id of their span (metrics package: handshake, dial and middle
// handshake; the connection duration has none).
var exemplarHistograms = regexp.MustCompile(`mtproxy_(client_handshake|upstream_dial|middle_handshake)_duration_seconds_bucket`)

// TestDashboardLatencyExemplars: every query over a latency histogram asks
// for exemplars, and its panel links to the traces.
func TestDashboardLatencyExemplars(t *testing.T) {
	n := 0
	for _, q := range targets(t, loadBoards(t)) {
		if !exemplarHistograms.MatchString(q.query.Expr) {
			continue
		}
		n++
		if q.query.Exemplar == nil || !*q.query.Exemplar {
			t.Errorf("%s: latency query without exemplars", q)
		}
		linked := false
		for _, l := range q.links {
			linked = linked || (l.Url != nil && strings.Contains(*l.Url, "${traces}"))
		}
		if !linked {
			t.Errorf("%s: latency panel without a link to ${traces}", q)
		}
	}
	if n == 0 {
		t.Fatal("no latency panels")
	}
}

// TestDashboardsCoverIssue checks each dashboard shows what the issue asks
// of it, by the metrics its queries use.
func TestDashboardsCoverIssue(t *testing.T) {
	want := map[string][]string{
		"mtproxy-overview.json": {
			"mtproxy_client_connections_active", "mtproxy_client_handshakes_total", "mtproxy_client_traffic_bytes_total",
			"mtproxy_secret_connections_active", "mtproxy_secret_traffic_bytes_total", "mtproxy_client_connections_rejected_total",
			"mtproxy_fronting_connections_total", `result="replay"`, "mtproxy_client_handshake_duration_seconds_bucket",
			"mtproxy_unauth_connections", "mtproxy_unauth_evictions_total",
			"mtproxy_state_health", "mtproxy_state_errors_total", "mtproxy_state_fallbacks_total",
			"mtproxy_state_latency_seconds_bucket", "mtproxy_state_pending_digests",
		},
		"mtproxy-upstream.json": {
			"mtproxy_upstream_up", "mtproxy_upstream_probe_connect_seconds", "mtproxy_upstream_dial_duration_seconds_bucket",
			"mtproxy_upstream_probes_total", "mtproxy_upstream_dials_total", "mtproxy_middle_connections",
			"mtproxy_upstream_targets_ready", "mtproxy_upstream_targets_active", "mtproxy_telegram_config_loaded_timestamp_seconds",
			"mtproxy_upstream_path", "mtproxy_upstream_path_switches_total",
		},
		"mtproxy-reachability.json": {
			"mtproxy_client_stage_total", "mtproxy_client_stalls_total", "mtproxy_secret_stalls_total",
			"mtproxy_client_hello_fingerprints_total", "mtproxy_upstream_probe_rtt_seconds", `result="ok"`,
			"mtproxy_upstream_first_answer_seconds_bucket",
		},
		"mtproxy-host.json": {
			"mtproxy_clock_skew_seconds", "mtproxy_nat_state", "mtproxy_nat_ip_lookups_total",
			"process_resident_memory_bytes", "go_goroutines",
		},
	}
	exprs := map[string]string{}
	for _, q := range targets(t, loadBoards(t)) {
		exprs[q.board] += q.query.Expr + "\n"
	}
	for file, needles := range want {
		for _, n := range needles {
			if !strings.Contains(exprs[file], n) {
				t.Errorf("%s: no query uses %s", file, n)
			}
		}
	}
}

// TestValidateModelRefusesMistakes proves the strict validation above is
// not vacuous despite the SDK's empty-error quirk: a mistake deep in a
// panel is still reported.
func TestValidateModelRefusesMistakes(t *testing.T) {
	data, err := os.ReadFile(repoPath(t, "dashboards", "mtproxy-overview.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateModel(data); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(d map[string]any){
		"unknown panel field": func(d map[string]any) { panel(d, 1)["colour"] = "red" },
		"expr of wrong type":  func(d map[string]any) { firstTarget(d)["expr"] = 42 },
		"unknown query field": func(d map[string]any) { firstTarget(d)["exemplars"] = true },
		"bad stat option":     func(d map[string]any) { panel(d, 1)["options"].(map[string]any)["graphMode"] = 3 },
		"unknown top field":   func(d map[string]any) { d["panel"] = []any{} },
	} {
		var d map[string]any
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		edit(d)
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if validateModel(b) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func panel(d map[string]any, i int) map[string]any { return d["panels"].([]any)[i].(map[string]any) }

func firstTarget(d map[string]any) map[string]any {
	return panel(d, 1)["targets"].([]any)[0].(map[string]any)
}
