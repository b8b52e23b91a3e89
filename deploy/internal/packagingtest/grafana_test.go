package packagingtest

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"
)

// grafanaDatasources is Grafana's datasource provisioning file, with the
// fields this repository uses (decoded strictly: a misspelt key fails).
type grafanaDatasources struct {
	APIVersion  int `json:"apiVersion"`
	Datasources []struct {
		Name      string `json:"name"`
		UID       string `json:"uid"`
		Type      string `json:"type"`
		Access    string `json:"access"`
		URL       string `json:"url"`
		IsDefault bool   `json:"isDefault"`
		Editable  bool   `json:"editable"`
		JSONData  struct {
			HTTPMethod                  string `json:"httpMethod"`
			TimeInterval                string `json:"timeInterval"`
			ExemplarTraceIDDestinations []struct {
				Name          string `json:"name"`
				DatasourceUID string `json:"datasourceUid"`
			} `json:"exemplarTraceIdDestinations"`
			Implementation             string `json:"implementation"`
			HandleGrafanaManagedAlerts *bool  `json:"handleGrafanaManagedAlerts"`
		} `json:"jsonData"`
	} `json:"datasources"`
}

// grafanaProviders is Grafana's dashboard provisioning file.
type grafanaProviders struct {
	APIVersion int `json:"apiVersion"`
	Providers  []struct {
		Name                  string `json:"name"`
		OrgID                 int    `json:"orgId"`
		Folder                string `json:"folder"`
		Type                  string `json:"type"`
		DisableDeletion       bool   `json:"disableDeletion"`
		AllowUIUpdates        bool   `json:"allowUiUpdates"`
		UpdateIntervalSeconds int    `json:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `json:"path"`
			FoldersFromFilesStructure bool   `json:"foldersFromFilesStructure"`
		} `json:"options"`
	} `json:"providers"`
}

func decodeStrict(t *testing.T, rel string, v any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(readRepoFile(t, rel), v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

func TestGrafanaDatasources(t *testing.T) {
	var f grafanaDatasources
	decodeStrict(t, "deploy/grafana/provisioning/datasources/mtproxy.yml", &f)
	if f.APIVersion != 1 {
		t.Errorf("apiVersion %d", f.APIVersion)
	}
	p := loadCompose(t, nil)
	byUID := map[string]int{}
	defaults := 0
	for i, ds := range f.Datasources {
		byUID[ds.UID] = i
		if ds.IsDefault {
			defaults++
		}
		// Each URL is a compose service on a port it listens on.
		u, err := url.Parse(ds.URL)
		if err != nil {
			t.Errorf("%s: url %s: %v", ds.Name, ds.URL, err)
			continue
		}
		s := service(t, p, u.Hostname())
		port, _ := strconv.Atoi(u.Port())
		if !servicePort(s, uint32(port)) {
			t.Errorf("%s: %s is not a port of compose service %s", ds.Name, ds.URL, s.Name)
		}
	}
	if defaults != 1 {
		t.Errorf("%d default datasources, want 1", defaults)
	}
	for uid, typ := range map[string]string{"prometheus": "prometheus", "jaeger": "jaeger"} {
		i, ok := byUID[uid]
		if !ok {
			t.Errorf("no datasource with uid %q", uid)
			continue
		}
		if f.Datasources[i].Type != typ {
			t.Errorf("datasource %s has type %s, want %s", uid, f.Datasources[i].Type, typ)
		}
	}
	if i, ok := byUID["prometheus"]; ok {
		prom := f.Datasources[i]
		// The exemplar label is the one metrics/histograms.go attaches.
		src := string(readRepoFile(t, "metrics/histograms.go"))
		dests := prom.JSONData.ExemplarTraceIDDestinations
		if len(dests) != 1 || dests[0].DatasourceUID != "jaeger" || !strings.Contains(src, strconv.Quote(dests[0].Name)) {
			t.Errorf("exemplar destinations %+v: want the proxy's exemplar label linked to uid jaeger", dests)
		}
		if prom.JSONData.TimeInterval == "" {
			t.Error("Prometheus datasource has no timeInterval ($__rate_interval needs the scrape interval)")
		}
	}
}

// servicePort reports whether a compose service publishes port (as the
// container's side of a mapping).
func servicePort(s types.ServiceConfig, port uint32) bool {
	for _, p := range s.Ports {
		if p.Target == port {
			return true
		}
	}
	return false
}

func TestGrafanaDashboardProvider(t *testing.T) {
	var f grafanaProviders
	decodeStrict(t, "deploy/grafana/provisioning/dashboards/mtproxy.yml", &f)
	if len(f.Providers) != 1 {
		t.Fatalf("%d dashboard providers, want 1", len(f.Providers))
	}
	prov := f.Providers[0]
	if prov.Type != "file" || prov.Options.Path != "/var/lib/grafana/dashboards" {
		t.Errorf("provider %s reads %s (%s), want files in /var/lib/grafana/dashboards", prov.Name, prov.Options.Path, prov.Type)
	}
	g := service(t, loadCompose(t, nil), "grafana")
	dash := mountAt(g, prov.Options.Path)
	if dash == nil || dash.Source != filepath.Join(repoRoot(t), "dashboards") {
		t.Fatalf("grafana does not mount ./dashboards at %s", prov.Options.Path)
	}
	if pm := mountAt(g, "/etc/grafana/provisioning"); pm == nil || pm.Source != filepath.Join(repoRoot(t), "deploy", "grafana", "provisioning") {
		t.Error("grafana does not mount ./deploy/grafana/provisioning at /etc/grafana/provisioning")
	}
	// The dashboards the issue asks for are there, are JSON dashboards,
	// and the home dashboard set in compose is one of them.
	for _, name := range []string{"mtproxy-overview", "mtproxy-upstream", "mtproxy-host"} {
		var d struct {
			UID   string `json:"uid"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(readRepoFile(t, "dashboards/"+name+".json"), &d); err != nil {
			t.Errorf("dashboards/%s.json: %v", name, err)
			continue
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("dashboards/%s.json has no uid or title", name)
		}
	}
	home := g.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
	if home == nil || !strings.HasPrefix(*home, prov.Options.Path+"/") {
		t.Fatalf("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH %v is not under %s", home, prov.Options.Path)
	}
	readRepoFile(t, "dashboards/"+strings.TrimPrefix(*home, prov.Options.Path+"/"))
}
