package monitoringtest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// promConfig is the part of deploy/prometheus/prometheus.yml the compose
// stack depends on.
type promConfig struct {
	Global    map[string]any `yaml:"global"`
	RuleFiles []string       `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// The paths docker-compose.yml mounts the rules at.
const composeRuleGlob = "/etc/prometheus/rules/*.rules.yml"

// TestPrometheusConfigForCompose: the shipped prometheus.yml scrapes the
// proxy as job mtproxy at mtproxy:2398 (the name the alerts expect), loads
// the rules where compose mounts them and alerts to alertmanager:9093.
func TestPrometheusConfigForCompose(t *testing.T) {
	data, err := os.ReadFile(repoPath(t, "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c promConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.RuleFiles, []string{composeRuleGlob}) {
		t.Errorf("rule_files %v, want [%s]", c.RuleFiles, composeRuleGlob)
	}
	var am []string
	for _, a := range c.Alerting.Alertmanagers {
		for _, s := range a.StaticConfigs {
			am = append(am, s.Targets...)
		}
	}
	if !slices.Equal(am, []string{"alertmanager:9093"}) {
		t.Errorf("alertmanagers %v, want [alertmanager:9093]", am)
	}
	found := false
	for _, s := range c.ScrapeConfigs {
		if s.JobName != "mtproxy" {
			continue
		}
		found = true
		var targets []string
		for _, sc := range s.StaticConfigs {
			targets = append(targets, sc.Targets...)
		}
		if !slices.Equal(targets, []string{"mtproxy:2398"}) {
			t.Errorf("job mtproxy scrapes %v, want [mtproxy:2398]", targets)
		}
	}
	if !found {
		t.Error("no scrape job mtproxy")
	}
}

// TestPromtoolCheckConfig runs `promtool check config` on the shipped
// configuration, with rule_files pointed at the repository's rules (the
// compose path does not exist here): the config and the rules it loads.
func TestPromtoolCheckConfig(t *testing.T) {
	promtool := requireTool(t, "promtool", "prometheus")
	data, err := os.ReadFile(repoPath(t, "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	local := repoPath(t, "deploy", "prometheus", "rules", "*.rules.yml")
	if !bytes.Contains(data, []byte(composeRuleGlob)) {
		t.Fatalf("prometheus.yml does not load %s", composeRuleGlob)
	}
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(cfg, bytes.ReplaceAll(data, []byte(composeRuleGlob), []byte(local)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "", promtool, "check", "config", cfg)
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	if !strings.Contains(out, "2 rule files found") {
		t.Errorf("promtool did not load both rule files:\n%s", out)
	}
}

func alertmanagerConfig(t testing.TB) string {
	return repoPath(t, "deploy", "alertmanager", "alertmanager.yml")
}

// TestAmtoolCheckConfig runs `amtool check-config` on the example
// Alertmanager configuration.
func TestAmtoolCheckConfig(t *testing.T) {
	amtool := requireTool(t, "amtool", "prometheus-alertmanager")
	out, err := run(t, "", amtool, "check-config", alertmanagerConfig(t))
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
}

// TestAmtoolCheckConfigCatchesMistakes proves the check bites: a route to
// an undefined receiver is refused.
func TestAmtoolCheckConfigCatchesMistakes(t *testing.T) {
	amtool := requireTool(t, "amtool", "prometheus-alertmanager")
	data, err := os.ReadFile(alertmanagerConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(data, []byte("- receiver: pager"), []byte("- receiver: pagerr"), 1)
	if bytes.Equal(broken, data) {
		t.Fatal("no pager route to break")
	}
	p := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(p, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "", amtool, "check-config", p); err == nil {
		t.Fatalf("amtool accepted a route to an undefined receiver:\n%s", out)
	}
}

// TestAmtoolRoutes checks where alerts go: critical pages, warning and
// info go to chat, and so does anything without a severity. Every
// severity the shipped alerts use is routed.
func TestAmtoolRoutes(t *testing.T) {
	amtool := requireTool(t, "amtool", "prometheus-alertmanager")
	cases := map[string][]string{
		"pager": {"severity=critical", "alertname=MTProxyDown", "instance=p1:2398"},
		"chat":  {"severity=warning", "alertname=MTProxyDCUnreachable", "dc=2"},
	}
	route := func(labels []string) string {
		args := append([]string{"config", "routes", "test", "--config.file=" + alertmanagerConfig(t)}, labels...)
		out, err := run(t, "", amtool, args...)
		if err != nil {
			t.Fatalf("amtool config routes test %v: %v\n%s", labels, err, out)
		}
		// amtool also warns that --config.file overrides
		// --alertmanager.url; the receivers are the other line.
		var receivers []string
		for _, l := range strings.Split(out, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Warning:") {
				receivers = append(receivers, l)
			}
		}
		return strings.Join(receivers, " | ")
	}
	for want, labels := range cases {
		if got := route(labels); got != want {
			t.Errorf("%v routed to %q, want %q", labels, got, want)
		}
	}
	if got := route([]string{"severity=info", "alertname=MTProxyClockUnverified"}); got != "chat" {
		t.Errorf("info routed to %q, want chat", got)
	}
	if got := route([]string{"alertname=Unlabelled"}); got != "chat" {
		t.Errorf("an alert without severity routed to %q, want chat", got)
	}
	want := map[string]string{"critical": "pager", "warning": "chat", "info": "chat"}
	for _, a := range alerts(loadRules(t)) {
		sev := a.Labels["severity"]
		if got := route([]string{"severity=" + sev, "alertname=" + a.Alert}); got != want[sev] {
			t.Errorf("%s routed to %q, want %q", a.name(), got, want[sev])
		}
	}
}

// amConfig is the part of alertmanager.yml the inhibition check reads.
type amConfig struct {
	InhibitRules []struct {
		SourceMatchers []string `yaml:"source_matchers"`
		TargetMatchers []string `yaml:"target_matchers"`
		Equal          []string `yaml:"equal"`
	} `yaml:"inhibit_rules"`
}

// TestAlertmanagerInhibitsWarningUnderCritical: a warning is silenced by
// a critical alert of the same name and instance (MTProxyClockSkew has
// both). amtool cannot test inhibitions, so the rule is read.
func TestAlertmanagerInhibitsWarningUnderCritical(t *testing.T) {
	data, err := os.ReadFile(alertmanagerConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var c amConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.InhibitRules {
		eq := slices.Clone(r.Equal)
		slices.Sort(eq)
		if slices.Equal(r.SourceMatchers, []string{`severity="critical"`}) &&
			slices.Equal(r.TargetMatchers, []string{`severity="warning"`}) &&
			slices.Equal(eq, []string{"alertname", "instance"}) {
			return
		}
	}
	t.Error(`no inhibit rule severity="critical" -> severity="warning" on equal [alertname, instance]`)
}
