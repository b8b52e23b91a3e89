package packagingtest

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The manifests `kubectl apply -f deploy/k8s/` applies, and the example
// Secret kept out of that directory.
const (
	k8sManifests = "deploy/k8s/*.yaml"
	k8sSecret    = "deploy/k8s/example/*.yaml"
)

// selects reports whether a label selector matches a set of labels.
func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return !s.Empty() && s.Matches(labels.Set(set))
}

// k8sApp holds the decoded manifests, the proxy Deployment's pod and the
// shared store's (component "state").
type k8sApp struct {
	objs      k8sObjects
	pod       corev1.PodTemplateSpec
	container corev1.Container
	store     appsv1.Deployment
}

// component is the label that tells the proxy's objects from the store's.
const component = "app.kubernetes.io/component"

func loadK8s(t *testing.T) k8sApp {
	t.Helper()
	objs := decodeManifests(t, k8sManifests)
	if len(objs.deployments) != 2 || len(objs.serviceMonitors) != 1 || len(objs.prometheusRules) != 1 ||
		len(objs.services) != 3 || len(objs.pdbs) != 1 || len(objs.secrets) != 0 || len(objs.networkPolicies) != 1 {
		t.Fatalf("want 2 Deployments, 3 Services, 1 ServiceMonitor, 1 PrometheusRule, 1 PodDisruptionBudget, 1 NetworkPolicy and no Secret in %s; got %d, %d, %d, %d, %d, %d, %d",
			k8sManifests, len(objs.deployments), len(objs.services), len(objs.serviceMonitors), len(objs.prometheusRules), len(objs.pdbs), len(objs.networkPolicies), len(objs.secrets))
	}
	a := k8sApp{objs: objs}
	found := map[string]bool{}
	for _, d := range objs.deployments {
		if !selects(t, d.Spec.Selector, d.Spec.Template.Labels) {
			t.Fatalf("Deployment %s selector %v does not match its pods %v", d.Name, d.Spec.Selector, d.Spec.Template.Labels)
		}
		if n := len(d.Spec.Template.Spec.Containers); n != 1 {
			t.Fatalf("Deployment %s: %d containers, want 1", d.Name, n)
		}
		switch c := d.Spec.Template.Labels[component]; c {
		case "proxy":
			a.pod, a.container = d.Spec.Template, d.Spec.Template.Spec.Containers[0]
		case "state":
			a.store = d
		default:
			t.Fatalf("Deployment %s is of component %q, want proxy or state", d.Name, c)
		}
		found[d.Spec.Template.Labels[component]] = true
	}
	if !found["proxy"] || !found["state"] {
		t.Fatalf("want the proxy's Deployment and the store's, got %v", found)
	}
	return a
}

// containerPort resolves a probe's or Service's port (name or number).
func (a k8sApp) containerPort(t *testing.T, p intstr.IntOrString) int32 {
	t.Helper()
	for _, cp := range a.container.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	t.Fatalf("port %s is not a port of the container", p.String())
	return 0
}

// env returns the container's plain value of a variable ("" if unset).
func (a k8sApp) env(name string) string {
	for _, e := range a.container.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func TestK8sProbes(t *testing.T) {
	a := loadK8s(t)
	for name, want := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{
		"startupProbe":   {a.container.StartupProbe, "/healthz"},
		"livenessProbe":  {a.container.LivenessProbe, "/healthz"},
		"readinessProbe": {a.container.ReadinessProbe, "/readyz"},
	} {
		if want.probe == nil || want.probe.HTTPGet == nil {
			t.Errorf("%s: no HTTP probe", name)
			continue
		}
		g := want.probe.HTTPGet
		if g.Path != want.path {
			t.Errorf("%s: path %s, want %s", name, g.Path, want.path)
		}
		if port := a.containerPort(t, g.Port); port != internalPort {
			t.Errorf("%s: port %d, want INTERNAL_PORT %d", name, port, internalPort)
		}
	}
	if got := a.env("INTERNAL_PORT"); got != strconv.Itoa(internalPort) {
		t.Errorf("INTERNAL_PORT=%q, the probes use %d", got, internalPort)
	}
	if got := a.env("PORT"); got != strconv.Itoa(clientPort) || a.containerPort(t, intstr.FromString("mtproto")) != clientPort {
		t.Errorf("PORT=%q and port mtproto must both be %d", got, clientPort)
	}
}

func TestK8sEnvAndSecret(t *testing.T) {
	a := loadK8s(t)
	var names []string
	for _, e := range a.container.Env {
		names = append(names, e.Name)
	}
	checkKnownEnv(t, "deploy/k8s Deployment", names)

	ex := decodeManifests(t, k8sSecret)
	if len(ex.secrets) != 1 {
		t.Fatalf("%s: want one example Secret", k8sSecret)
	}
	secret := ex.secrets[0]
	required := map[string]bool{}
	for _, e := range a.container.Env {
		ref := (*corev1.SecretKeySelector)(nil)
		if e.ValueFrom != nil {
			ref = e.ValueFrom.SecretKeyRef
		}
		if ref == nil {
			continue
		}
		if ref.Name != secret.Name {
			t.Errorf("%s comes from Secret %s, the example is %s", e.Name, ref.Name, secret.Name)
		}
		if _, ok := secret.StringData[ref.Key]; !ok {
			t.Errorf("%s comes from key %s, which the example Secret lacks", e.Name, ref.Key)
		}
		required[e.Name] = ref.Optional == nil || !*ref.Optional
	}
	// Every replica must share the secrets: SECRET is required (a pod
	// generating its own would hand out links that the others refuse).
	if !required["SECRET"] {
		t.Error("SECRET is not a required key of the Secret")
	}
	for _, e := range a.container.Env {
		if e.Name == "SECRET" && e.Value != "" {
			t.Error("SECRET is in the Deployment in clear")
		}
	}
	// The placeholder must not be a usable secret.
	if regexp.MustCompile(`^[0-9a-fA-F]{32}(,[0-9a-fA-F]{32})*$`).MatchString(secret.StringData["SECRET"]) {
		t.Error("the example Secret holds a valid secret: deploying it unchanged would publish it")
	}
}

func TestK8sResources(t *testing.T) {
	a := loadK8s(t)
	r := a.container.Resources
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := r.Requests[name]; !ok || q.IsZero() {
			t.Errorf("no %s request", name)
		}
	}
	lim, ok := r.Limits[corev1.ResourceMemory]
	if !ok {
		t.Fatal("no memory limit")
	}
	if req := r.Requests[corev1.ResourceMemory]; lim.Cmp(req) < 0 {
		t.Errorf("memory limit %s below the request %s", lim.String(), req.String())
	}
	for _, e := range a.container.Env {
		if e.Name == "GOMEMLIMIT" && (e.ValueFrom == nil || e.ValueFrom.ResourceFieldRef == nil || e.ValueFrom.ResourceFieldRef.Resource != "limits.memory") {
			t.Error("GOMEMLIMIT does not follow limits.memory")
		}
	}
	// Draining (SHUTDOWN_TIMEOUT) must end before the kubelet kills.
	drain := shutdownDrain(t, a.env("SHUTDOWN_TIMEOUT"))
	if g := a.pod.Spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= drain {
		t.Errorf("terminationGracePeriodSeconds does not exceed SHUTDOWN_TIMEOUT %v", drain)
	}
}

func TestK8sSecurityContext(t *testing.T) {
	a := loadK8s(t)
	pod, c := a.pod.Spec.SecurityContext, a.container.SecurityContext
	if pod == nil || c == nil {
		t.Fatal("pod or container has no securityContext")
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	if !isTrue(pod.RunAsNonRoot) && !isTrue(c.RunAsNonRoot) {
		t.Error("runAsNonRoot is not set")
	}
	// The uid is the image's USER, so the image's /data ownership holds.
	uid := pod.RunAsUser
	if c.RunAsUser != nil {
		uid = c.RunAsUser
	}
	users := commands[*instructions.UserCommand](parseDockerfile(t).final())
	imageUID, _, _ := strings.Cut(users[len(users)-1].User, ":")
	if uid == nil {
		t.Errorf("no runAsUser, the image's USER is %s", imageUID)
	} else if strconv.FormatInt(*uid, 10) != imageUID {
		t.Errorf("runAsUser %d, the image's USER is %s", *uid, imageUID)
	}
	if !isTrue(c.ReadOnlyRootFilesystem) {
		t.Error("readOnlyRootFilesystem is not set")
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if c.Capabilities == nil || !slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Error("capabilities do not drop ALL")
	} else if len(c.Capabilities.Add) > 1 || (len(c.Capabilities.Add) == 1 && c.Capabilities.Add[0] != "NET_BIND_SERVICE") {
		t.Errorf("capabilities add %v: at most NET_BIND_SERVICE", c.Capabilities.Add)
	}
	if pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("seccompProfile is not RuntimeDefault")
	}
	// A non-root process gets no effective capability from the container's
	// set (Kubernetes has no ambient capabilities and the binary has no file
	// capabilities), so binding 443 needs the unprivileged port range.
	bindable := false
	for _, s := range pod.Sysctls {
		if s.Name == "net.ipv4.ip_unprivileged_port_start" {
			n, err := strconv.Atoi(s.Value)
			bindable = err == nil && n <= clientPort
		}
	}
	if !bindable {
		t.Errorf("nothing lets the non-root user bind port %d: set net.ipv4.ip_unprivileged_port_start <= %d", clientPort, clientPort)
	}
	// The read-only root needs the image's VOLUME mounted writable.
	for _, v := range one[*instructions.VolumeCommand](t, parseDockerfile(t).final()).Volumes {
		mounted := false
		for _, m := range a.container.VolumeMounts {
			mounted = mounted || (m.MountPath == v && !m.ReadOnly)
		}
		if !mounted {
			t.Errorf("the image's VOLUME %s is not mounted writable", v)
		}
	}
	if a.pod.Spec.AutomountServiceAccountToken == nil || *a.pod.Spec.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token it never uses")
	}
	if a.pod.Spec.EnableServiceLinks == nil || *a.pod.Spec.EnableServiceLinks {
		t.Error("enableServiceLinks is on: Service variables land in the proxy's environment")
	}
}
