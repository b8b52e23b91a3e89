package packagingtest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// k8sObjects are the decoded manifests, by kind.
type k8sObjects struct {
	deployments     []appsv1.Deployment
	services        []corev1.Service
	secrets         []corev1.Secret
	pdbs            []policyv1.PodDisruptionBudget
	serviceMonitors []monitoringv1.ServiceMonitor
	prometheusRules []monitoringv1.PrometheusRule
	networkPolicies []networkingv1.NetworkPolicy
}

// decodeManifests decodes every document of the YAML files matching glob
// (relative to the repository root) strictly into its Kubernetes type: an
// unknown or duplicate field, or an unknown kind, fails the test.
func decodeManifests(t *testing.T, glob string) k8sObjects {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), filepath.FromSlash(glob)))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests match %s (%v)", glob, err)
	}
	var objs k8sObjects
	for _, path := range paths {
		rel, _ := filepath.Rel(repoRoot(t), path)
		docs := splitYAML(t, readRepoFile(t, filepath.ToSlash(rel)))
		for i, doc := range docs {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s document %d: %v", rel, i+1, err)
			}
			if err := objs.add(tm, doc); err != nil {
				t.Errorf("%s document %d (%s %s): %v", rel, i+1, tm.APIVersion, tm.Kind, err)
			}
		}
	}
	return objs
}

// errUnknownKind is a manifest kind this test cannot check.
var errUnknownKind = errors.New("unknown kind: teach the test its type")

func (o *k8sObjects) add(tm metav1.TypeMeta, doc []byte) error {
	switch tm.GroupVersionKind() {
	case appsv1.SchemeGroupVersion.WithKind("Deployment"):
		return decodeInto(doc, &o.deployments)
	case corev1.SchemeGroupVersion.WithKind("Service"):
		return decodeInto(doc, &o.services)
	case corev1.SchemeGroupVersion.WithKind("Secret"):
		return decodeInto(doc, &o.secrets)
	case policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"):
		return decodeInto(doc, &o.pdbs)
	case monitoringv1.SchemeGroupVersion.WithKind(monitoringv1.ServiceMonitorsKind):
		return decodeInto(doc, &o.serviceMonitors)
	case monitoringv1.SchemeGroupVersion.WithKind(monitoringv1.PrometheusRuleKind):
		return decodeInto(doc, &o.prometheusRules)
	case networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"):
		return decodeInto(doc, &o.networkPolicies)
	}
	return errUnknownKind
}

// decodeInto strictly decodes doc and appends it to list.
func decodeInto[T any](doc []byte, list *[]T) error {
	var v T
	if err := yaml.UnmarshalStrict(doc, &v); err != nil {
		return err
	}
	*list = append(*list, v)
	return nil
}

// splitYAML returns the non-empty documents of a multi-document YAML file.
func splitYAML(t *testing.T, b []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			t.Fatal(err)
		}
		if len(probe) > 0 {
			docs = append(docs, doc)
		}
	}
}
