package monitoringtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// unitTestFile is the part of a `promtool test rules` file these checks
// read.
type unitTestFile struct {
	RuleFiles          []string `yaml:"rule_files"`
	EvaluationInterval string   `yaml:"evaluation_interval"`
	Tests              []struct {
		Name          string `yaml:"name"`
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromqlExprTest []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

func unitTestFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(repoPath(t, "deploy", "prometheus", "tests", "*.test.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool test files: %v", err)
	}
	return files
}

func ruleFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(repoPath(t, "deploy", "prometheus", "rules", "*.rules.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	return files
}

// TestEveryAlertUnitTested: for every alert and severity there is a
// promtool case where it fires, and for every alert a case where it must
// stay silent (exp_alerts empty). promtool compares the firing alerts
// exactly, so the instances left out of a firing case are silent cases
// too. Every recording rule is evaluated by a promql_expr_test.
func TestEveryAlertUnitTested(t *testing.T) {
	fires := map[string]bool{}
	silent := map[string]bool{}
	recorded := map[string]bool{}
	rules := map[string]bool{}
	for _, f := range ruleFiles(t) {
		rules[filepath.Base(f)] = true
	}
	for _, f := range unitTestFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var u unitTestFile
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&u); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		for _, rf := range u.RuleFiles {
			if !strings.HasPrefix(rf, "../rules/") || !rules[strings.TrimPrefix(rf, "../rules/")] {
				t.Errorf("%s: rule_files entry %s is not a shipped rule file", filepath.Base(f), rf)
			}
		}
		for _, c := range u.Tests {
			for _, a := range c.AlertRuleTest {
				if len(a.ExpAlerts) == 0 {
					silent[a.Alertname] = true
				}
				for _, e := range a.ExpAlerts {
					fires[a.Alertname+"/"+e.ExpLabels["severity"]] = true
				}
			}
			for _, e := range c.PromqlExprTest {
				if x, err := promParser.ParseExpr(e.Expr); err == nil {
					for _, vs := range selectorsOf(x) {
						recorded[vs.Name] = true
					}
				}
			}
		}
	}
	for _, r := range loadRules(t) {
		if r.Record != "" && !recorded[r.Record] {
			t.Errorf("recording rule %s: no promql_expr_test evaluates it", r.Record)
		}
	}
	for _, a := range alerts(loadRules(t)) {
		if !fires[a.Alert+"/"+a.Labels["severity"]] {
			t.Errorf("%s: no promtool case where it fires", a.name())
		}
		if !silent[a.Alert] {
			t.Errorf("%s: no promtool case where it stays silent", a.Alert)
		}
	}
}

// TestPromtoolCheckRules runs `promtool check rules` on the rule files.
func TestPromtoolCheckRules(t *testing.T) {
	promtool := requireTool(t, "promtool", "prometheus")
	out, err := run(t, "", promtool, append([]string{"check", "rules"}, ruleFiles(t)...)...)
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// TestPromtoolTestRules runs the unit tests of every alert.
func TestPromtoolTestRules(t *testing.T) {
	promtool := requireTool(t, "promtool", "prometheus")
	dir := repoPath(t, "deploy", "prometheus", "tests")
	out, err := run(t, dir, promtool, append([]string{"test", "rules"}, unitTestFiles(t)...)...)
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestPromtoolTestRulesCatchesBrokenAlert proves the unit tests bite: with
// one alert's condition inverted, promtool test rules must fail.
func TestPromtoolTestRulesCatchesBrokenAlert(t *testing.T) {
	promtool := requireTool(t, "promtool", "prometheus")
	tmp := t.TempDir()
	for _, sub := range []string{"rules", "tests"} {
		if err := os.Mkdir(filepath.Join(tmp, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range ruleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		broken := bytes.Replace(data, []byte(`mtproxy_nat_state{state="mismatch"} == 1`), []byte(`mtproxy_nat_state{state="mismatch"} == 0`), 1)
		if err := os.WriteFile(filepath.Join(tmp, "rules", filepath.Base(f)), broken, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test := filepath.Join(tmp, "tests", "host.test.yml")
	data, err := os.ReadFile(repoPath(t, "deploy", "prometheus", "tests", "host.test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(test, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, filepath.Join(tmp, "tests"), promtool, "test", "rules", test)
	if err == nil || !strings.Contains(out, "MTProxyNATMismatch") {
		t.Fatalf("promtool accepted an inverted MTProxyNATMismatch: %v\n%s", err, out)
	}
}
