package packagingtest

import (
	"net"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"
)

// promConfig is the part of prometheus.yml the compose wiring depends on.
type promConfig struct {
	Global struct {
		ScrapeInterval string `json:"scrape_interval"`
	} `json:"global"`
	RuleFiles []string `json:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"alertmanagers"`
	} `json:"alerting"`
	ScrapeConfigs []struct {
		JobName        string `json:"job_name"`
		ScrapeInterval string `json:"scrape_interval"`
		StaticConfigs  []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
	} `json:"scrape_configs"`
}

// hostPath maps a path inside a compose service's container to the
// repository file bind-mounted there ("" when none is).
func hostPath(s types.ServiceConfig, inContainer string) string {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if inContainer == v.Target {
			return v.Source
		}
		if rest, ok := strings.CutPrefix(inContainer, v.Target+"/"); ok {
			return filepath.Join(v.Source, filepath.FromSlash(rest))
		}
	}
	return ""
}

// checkTarget fails unless target is host:port of a compose service that
// listens there (publishes or exposes the port).
func checkTarget(t *testing.T, p *types.Project, what, target string) {
	t.Helper()
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		t.Errorf("%s target %q: %v", what, target, err)
		return
	}
	s, err := p.GetService(host)
	if err != nil {
		t.Errorf("%s target %q: no compose service %s", what, target, host)
		return
	}
	n, _ := strconv.Atoi(port)
	if !servicePort(s, uint32(n)) && !slices.Contains(s.Expose, port) {
		t.Errorf("%s target %q: %s does not listen on %s", what, target, host, port)
	}
}

// TestComposePrometheusConfig checks prometheus.yml against the compose
// file that runs it: its rule globs find the mounted rule files, its
// targets are compose services on their ports, and Grafana's timeInterval
// is its scrape interval.
func TestComposePrometheusConfig(t *testing.T) {
	p := loadCompose(t, nil)
	prom := service(t, p, "prometheus")
	configPath := ""
	for _, arg := range prom.Command {
		if v, ok := strings.CutPrefix(arg, "--config.file="); ok {
			configPath = v
		}
	}
	local := hostPath(prom, configPath)
	if local == "" {
		t.Fatalf("--config.file=%s is not a file mounted from the repository", configPath)
	}
	rel, err := filepath.Rel(repoRoot(t), local)
	if err != nil {
		t.Fatal(err)
	}
	var cfg promConfig
	if err := yaml.Unmarshal(readRepoFile(t, filepath.ToSlash(rel)), &cfg); err != nil {
		t.Fatal(err)
	}

	// Rule files: relative globs are relative to the config file.
	var loaded []string
	for _, glob := range cfg.RuleFiles {
		if !path.IsAbs(glob) {
			glob = path.Join(path.Dir(configPath), glob)
		}
		dir := hostPath(prom, path.Dir(glob))
		if dir == "" {
			t.Errorf("rule_files %s: not in a mounted directory", glob)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(dir, path.Base(glob)))
		if err != nil {
			t.Fatal(err)
		}
		loaded = append(loaded, matches...)
	}
	all, err := filepath.Glob(filepath.Join(repoRoot(t), "deploy", "prometheus", "rules", "*.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(loaded)
	if len(all) == 0 || !slices.Equal(loaded, all) {
		t.Errorf("the compose Prometheus loads rule files %v, the repository has %v", loaded, all)
	}

	var am []string
	for _, a := range cfg.Alerting.Alertmanagers {
		for _, sc := range a.StaticConfigs {
			am = append(am, sc.Targets...)
		}
	}
	if len(am) == 0 {
		t.Error("prometheus.yml sends alerts nowhere")
	}
	for _, target := range am {
		checkTarget(t, p, "alertmanager", target)
	}

	scrapes := map[string][]string{}
	intervals := map[string]string{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			scrapes[sc.JobName] = append(scrapes[sc.JobName], s.Targets...)
		}
		intervals[sc.JobName] = sc.ScrapeInterval
	}
	proxyTarget := net.JoinHostPort("mtproxy", strconv.Itoa(internalPort))
	if !slices.Contains(scrapes["mtproxy"], proxyTarget) {
		t.Errorf("job mtproxy scrapes %v, want %s", scrapes["mtproxy"], proxyTarget)
	}
	for _, target := range scrapes["mtproxy"] {
		checkTarget(t, p, "job mtproxy", target)
	}

	interval := cfg.Global.ScrapeInterval
	if intervals["mtproxy"] != "" {
		interval = intervals["mtproxy"]
	}
	var ds grafanaDatasources
	decodeStrict(t, "deploy/grafana/provisioning/datasources/mtproxy.yml", &ds)
	for _, d := range ds.Datasources {
		if d.UID == "prometheus" && d.JSONData.TimeInterval != interval {
			t.Errorf("Grafana timeInterval %s, the proxy is scraped every %s", d.JSONData.TimeInterval, interval)
		}
	}
}
