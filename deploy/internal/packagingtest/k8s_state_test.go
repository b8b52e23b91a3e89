package packagingtest

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The proxies' STATE_URL names the store's Service and port, the store
// requires the password the proxies give (one key of the Secret), runs
// once, hardened, and only the proxy pods may reach it.
func TestK8sSharedState(t *testing.T) {
	a := loadK8s(t)
	raw := a.env("STATE_URL")
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "redis" && u.Scheme != "rediss" {
		t.Fatalf("STATE_URL %q: want redis://<service>:<port>", raw)
	}
	if u.User != nil {
		t.Errorf("STATE_URL holds credentials in clear: the password comes from the Secret as STATE_PASSWORD")
	}
	host, port, _ := net.SplitHostPort(u.Host)

	// The Service the URL names selects the store's pods on its port.
	var svc *corev1.Service
	for i, s := range a.objs.services {
		if s.Name == host {
			svc = &a.objs.services[i]
		}
	}
	if svc == nil {
		t.Fatalf("STATE_URL names %s, which is no Service of %s", host, k8sManifests)
	}
	store := a.store.Spec.Template
	c := store.Spec.Containers[0]
	if !selects(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, store.Labels) ||
		selects(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, a.pod.Labels) {
		t.Errorf("Service %s must select the store's pods only", host)
	}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP && svc.Spec.Type != "" {
		t.Errorf("Service %s is %s: the store must stay inside the cluster", host, svc.Spec.Type)
	}
	served := false
	for _, p := range svc.Spec.Ports {
		if port == strconv.Itoa(int(p.Port)) {
			for _, cp := range c.Ports {
				served = served || cp.Name == p.TargetPort.StrVal || cp.ContainerPort == p.TargetPort.IntVal
			}
		}
	}
	if !served {
		t.Errorf("Service %s does not carry port %s to the store's container", host, port)
	}

	// One password, from one Secret key, on both sides.
	proxyKey := secretKey(a.container, "STATE_PASSWORD")
	storeKey := secretKey(c, "STATE_PASSWORD")
	if proxyKey == nil || storeKey == nil || *proxyKey != *storeKey {
		t.Errorf("the proxies' STATE_PASSWORD (%v) and the store's (%v) must be the same Secret key", proxyKey, storeKey)
	}
	args := append(slices.Clone(c.Command), c.Args...)
	if i := slices.Index(args, "--requirepass"); i < 0 || i+1 >= len(args) || args[i+1] != "$(STATE_PASSWORD)" {
		t.Errorf("the store does not require the password: %v", args)
	}
	if i := slices.Index(args, "--maxmemory-policy"); i < 0 || args[i+1] != "noeviction" {
		t.Error("the store may evict: a full store must refuse writes (the proxies then fall back and say so), not forget handshakes")
	}

	// One store at a time, hardened as the proxy is.
	d := a.store
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Error("the store must run one pod, replaced by Recreate (two would split the fleet)")
	}
	sc, psc := c.SecurityContext, store.Spec.SecurityContext
	if sc == nil || psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || sc.ReadOnlyRootFilesystem == nil ||
		!*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Error("the store's container must be non-root, read-only, without privilege escalation or capabilities")
	}
	if c.ReadinessProbe == nil || c.LivenessProbe == nil {
		t.Error("the store has no probes")
	}
	if lim, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok || lim.IsZero() {
		t.Error("the store has no memory limit")
	}
	if store.Spec.AutomountServiceAccountToken == nil || *store.Spec.AutomountServiceAccountToken {
		t.Error("the store mounts a service account token")
	}

	// Only the proxy pods reach it.
	np := a.objs.networkPolicies[0]
	if !selects(t, &np.Spec.PodSelector, store.Labels) || selects(t, &np.Spec.PodSelector, a.pod.Labels) {
		t.Error("the NetworkPolicy must select the store's pods only")
	}
	if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) != 1 || np.Spec.Ingress[0].From[0].PodSelector == nil ||
		!selects(t, np.Spec.Ingress[0].From[0].PodSelector, a.pod.Labels) ||
		selects(t, np.Spec.Ingress[0].From[0].PodSelector, store.Labels) {
		t.Errorf("the NetworkPolicy must admit the proxy pods only: %+v", np.Spec.Ingress)
	}
}

// secretKey returns the Secret key a container's variable comes from.
func secretKey(c corev1.Container, name string) *string {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			k := e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
			return &k
		}
	}
	return nil
}
