package monitoringtest

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// wantDashboards are the dashboards the compose stack and the README point
// at, by file name.
var wantDashboards = []string{"mtproxy-host.json", "mtproxy-overview.json", "mtproxy-reachability.json", "mtproxy-upstream.json"}

var registerPlugins sync.Once

// board is one committed dashboard: its typed model and its raw JSON.
type board struct {
	file  string
	model dashboard.Dashboard
	raw   map[string]any
}

// target is one query of a dashboard panel.
type target struct {
	board, panel string
	query        *prometheus.Dataquery
	links        []dashboard.DashboardLink
}

func (t target) String() string { return t.board + ": " + t.panel }

// loadBoards reads dashboards/*.json, strictly: an unknown field, a wrong
// type or an unregistered panel or query type fails the test.
func loadBoards(t testing.TB) []board {
	t.Helper()
	registerPlugins.Do(plugins.RegisterDefaultPlugins)
	files, err := filepath.Glob(repoPath(t, "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var out []board
	for _, f := range files {
		b := board{file: filepath.Base(f)}
		names = append(names, b.file)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateModel(data); err != nil {
			t.Fatalf("%s: not a valid dashboard model: %v", b.file, err)
		}
		if err := json.Unmarshal(data, &b.model); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &b.raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	sort.Strings(names)
	if strings.Join(names, " ") != strings.Join(wantDashboards, " ") {
		t.Fatalf("dashboards/ holds %v, want %v", names, wantDashboards)
	}
	return out
}

// validateModel decodes a dashboard strictly with the SDK: an unknown
// field, a wrong type, a missing required field or an unregistered panel
// or query type anywhere in it is an error.
//
// The SDK's strict decoders (v0.0.22) return their error list as an error
// even when it is empty (a non-nil interface holding a nil slice), so the
// outermost result is unwrapped here; nested ones still report every real
// error, but make the decoder drop the panels and queries they decoded, so
// the model itself is taken from the SDK's lenient decoding (loadBoards).
func validateModel(data []byte) error {
	var d dashboard.Dashboard
	err := d.UnmarshalJSONStrict(data)
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// panels are every panel of d, those inside rows included.
func panels(d dashboard.Dashboard) []dashboard.Panel {
	var out []dashboard.Panel
	for _, p := range d.Panels {
		if p.Panel != nil {
			out = append(out, *p.Panel)
		}
		if p.RowPanel != nil {
			out = append(out, p.RowPanel.Panels...)
		}
	}
	return out
}

// targets are every query of every panel of boards; a query that is not
// a Prometheus query fails the test.
func targets(t testing.TB, boards []board) []target {
	t.Helper()
	var out []target
	for _, b := range boards {
		for _, p := range panels(b.model) {
			title := ""
			if p.Title != nil {
				title = *p.Title
			}
			for _, dq := range p.Targets {
				q, ok := dq.(*prometheus.Dataquery)
				if !ok {
					t.Fatalf("%s: %s: query of type %T, want a Prometheus query", b.file, title, dq)
				}
				out = append(out, target{board: b.file, panel: title, query: q, links: p.Links})
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no queries in the dashboards")
	}
	return out
}

// variables are the template variables of d by name.
func variables(d dashboard.Dashboard) map[string]dashboard.VariableModel {
	out := map[string]dashboard.VariableModel{}
	for _, v := range d.Templating.List {
		out[v.Name] = v
	}
	return out
}
