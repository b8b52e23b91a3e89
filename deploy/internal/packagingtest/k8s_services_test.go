package packagingtest

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func TestK8sServices(t *testing.T) {
	a := loadK8s(t)
	var lb, metrics *corev1.Service
	for i, s := range a.objs.services {
		if s.Labels[component] == "state" {
			continue // the store's, checked by TestK8sSharedState
		}
		if !selects(t, &metav1.LabelSelector{MatchLabels: s.Spec.Selector}, a.pod.Labels) {
			t.Errorf("Service %s does not select the pods", s.Name)
		}
		switch s.Spec.Type {
		case corev1.ServiceTypeLoadBalancer:
			lb = &a.objs.services[i]
		case corev1.ServiceTypeClusterIP, "":
			metrics = &a.objs.services[i]
		}
	}
	if lb == nil || metrics == nil {
		t.Fatal("want a LoadBalancer Service and a ClusterIP metrics Service")
	}
	if len(lb.Spec.Ports) != 1 || lb.Spec.Ports[0].Port != clientPort || a.containerPort(t, lb.Spec.Ports[0].TargetPort) != clientPort {
		t.Errorf("LoadBalancer ports %+v: want only %d to the client port", lb.Spec.Ports, clientPort)
	}
	if len(metrics.Spec.Ports) != 1 || a.containerPort(t, metrics.Spec.Ports[0].TargetPort) != internalPort {
		t.Errorf("metrics Service ports %+v: want only INTERNAL_PORT", metrics.Spec.Ports)
	}

	sm := a.objs.serviceMonitors[0]
	if !selects(t, &sm.Spec.Selector, metrics.Labels) || selects(t, &sm.Spec.Selector, lb.Labels) {
		t.Errorf("ServiceMonitor selector must pick the metrics Service only")
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != metrics.Spec.Ports[0].Name || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v: want /metrics on port %s", sm.Spec.Endpoints, metrics.Spec.Ports[0].Name)
	}
	// The alerts and dashboards expect job="mtproxy".
	if job := metrics.Labels[sm.Spec.JobLabel]; sm.Spec.JobLabel == "" || job != "mtproxy" {
		t.Errorf("ServiceMonitor jobLabel %q gives job %q, want mtproxy", sm.Spec.JobLabel, job)
	}
	if !strings.Contains(string(readRepoFile(t, "deploy/prometheus/rules/mtproxy-alerts.rules.yml")), `job="mtproxy"`) {
		t.Error(`the alert rules no longer use job="mtproxy": update the ServiceMonitor's job`)
	}
	if pdb := a.objs.pdbs[0]; !selects(t, pdb.Spec.Selector, a.pod.Labels) {
		t.Error("PodDisruptionBudget does not select the pods")
	}
}

func TestK8sPrometheusRuleIsTheRuleFiles(t *testing.T) {
	pr := loadK8s(t).objs.prometheusRules[0]
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), "deploy", "prometheus", "rules", "*.rules.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rule files (%v)", err)
	}
	sort.Strings(paths)
	var want []monitoringv1.RuleGroup
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var spec monitoringv1.PrometheusRuleSpec
		if err := yaml.UnmarshalStrict(b, &spec); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want = append(want, spec.Groups...)
	}
	if !reflect.DeepEqual(pr.Spec.Groups, want) {
		t.Error("deploy/k8s/prometheusrule.yaml differs from deploy/prometheus/rules: run `cd deploy && go generate ./cmd/genk8srules`")
	}
}
