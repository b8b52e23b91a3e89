package main

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

// The paths of the go:generate line, from this directory.
const (
	rulesDir  = "../../prometheus/rules"
	committed = "../../k8s/prometheusrule.yaml"
)

func TestCommittedOutputIsUpToDate(t *testing.T) {
	want, err := Generate(os.DirFS(rulesDir))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("deploy/k8s/prometheusrule.yaml is stale: run `cd deploy && go generate ./cmd/genk8srules`")
	}
}

// decode reads a generated manifest back, strictly, as the operator would.
func decode(t *testing.T, b []byte) monitoringv1.PrometheusRule {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(Header)) {
		t.Errorf("output does not start with the generated-code header")
	}
	var pr monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict(b, &pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

const alertsFile = `groups:
  - name: b.alerts
    rules:
      - alert: Down
        expr: |
          up{job="mtproxy"} == 0
          and
          vector(1)
        for: 2m
        keep_firing_for: 1m
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.instance }} is down: a long summary that goes well past eighty columns without a break"
`

const recordingFile = `groups:
  - name: a.recording
    interval: 30s
    rules:
      - record: instance:mtproxy_up:max
        expr: max without (pod) (up{job="mtproxy"})
`

func TestGenerateKeepsEveryRuleInFileOrder(t *testing.T) {
	fsys := fstest.MapFS{
		"b.rules.yml":  {Data: []byte(alertsFile)},
		"a.rules.yml":  {Data: []byte(recordingFile)},
		"notes.txt":    {Data: []byte("not a rule file")},
		"c.alerts.yml": {Data: []byte("groups: [{name: ignored, rules: []}]")},
	}
	b, err := Generate(fsys)
	if err != nil {
		t.Fatal(err)
	}
	pr := decode(t, b)
	if pr.Kind != "PrometheusRule" || pr.APIVersion != "monitoring.coreos.com/v1" || pr.Name != "mtproxy" {
		t.Errorf("object %s %s %s", pr.APIVersion, pr.Kind, pr.Name)
	}
	var want []monitoringv1.RuleGroup
	for _, f := range []string{recordingFile, alertsFile} { // a.rules.yml, then b.rules.yml
		var spec monitoringv1.PrometheusRuleSpec
		if err := yaml.UnmarshalStrict([]byte(f), &spec); err != nil {
			t.Fatal(err)
		}
		want = append(want, spec.Groups...)
	}
	if !reflect.DeepEqual(pr.Spec.Groups, want) {
		t.Errorf("groups differ from the files:\n got %+v\nwant %+v", pr.Spec.Groups, want)
	}
	// Multi-line expressions stay literal blocks, long lines stay whole.
	if !strings.Contains(string(b), "expr: |\n") || !strings.Contains(string(b), "is down: a long summary that goes well past eighty columns without a break") {
		t.Errorf("formatting lost:\n%s", b)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	fsys := fstest.MapFS{"a.rules.yml": {Data: []byte(recordingFile)}, "b.rules.yml": {Data: []byte(alertsFile)}}
	first, err := Generate(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		again, err := Generate(fsys)
		if err != nil || !bytes.Equal(first, again) {
			t.Fatalf("second run differs (%v)", err)
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  error  // sentinel, or nil to match text
		text  string // substring of the error
	}{
		"no files":        {files: map[string]string{"x.yml": recordingFile}, want: ErrNoRuleFiles},
		"duplicate group": {files: map[string]string{"a.rules.yml": recordingFile, "b.rules.yml": recordingFile}, want: ErrDuplicateGroup, text: "a.recording"},
		"unknown field":   {files: map[string]string{"bad.rules.yml": strings.Replace(alertsFile, "for: 2m", "fore: 2m", 1)}, text: "bad.rules.yml"},
		"not yaml":        {files: map[string]string{"bad.rules.yml": "groups: [\n"}, text: "bad.rules.yml"},
		"bad duration":    {files: map[string]string{"bad.rules.yml": strings.Replace(alertsFile, "for: 2m", "for: [2m]", 1)}, text: "bad.rules.yml"},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for n, data := range tc.files {
				fsys[n] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := Generate(fsys)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not name %q", err, tc.text)
			}
		})
	}
}
