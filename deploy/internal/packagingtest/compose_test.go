package packagingtest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// loadCompose loads docker-compose.yml with compose-go the way `docker
// compose` does (schema validation, interpolation from env, consistency
// checks, paths resolved against the repository root).
func loadCompose(t *testing.T, env map[string]string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("mtproxy", true)
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestComposeServices(t *testing.T) {
	p := loadCompose(t, nil)
	want := []string{"alertmanager", "grafana", "jaeger", "mtproxy", "prometheus"}
	if got := p.ServiceNames(); !slices.Equal(got, want) {
		t.Errorf("services %v, want %v", got, want)
	}
	checkComposeServices(t, p)
	// State lives in named volumes.
	for name, target := range map[string]string{
		"mtproxy": "/data", "prometheus": "/prometheus", "alertmanager": "/alertmanager", "grafana": "/var/lib/grafana",
	} {
		if v := mountAt(service(t, p, name), target); v == nil || v.Type != types.VolumeTypeVolume {
			t.Errorf("%s: %s is not a named volume", name, target)
		}
	}
}

// checkComposeServices checks what every service of p must have: a
// complete healthcheck, a restart policy, mounts of repository files
// read-only or declared volumes, and ports on loopback but the proxies'
// client ports.
func checkComposeServices(t *testing.T, p *types.Project) {
	t.Helper()
	root := repoRoot(t)
	for _, name := range p.ServiceNames() {
		s := service(t, p, name)
		if hc := s.HealthCheck; hc == nil || hc.Disable || len(hc.Test) < 2 || hc.Interval == nil || hc.Timeout == nil {
			t.Errorf("%s: no complete healthcheck (test, interval, timeout)", name)
		}
		if s.Restart == "" {
			t.Errorf("%s: no restart policy", name)
		}
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeBind:
				rel, err := filepath.Rel(root, v.Source)
				if err != nil || strings.HasPrefix(rel, "..") {
					t.Errorf("%s: bind mount %s is outside the repository", name, v.Source)
					continue
				}
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount %s: %v", name, rel, err)
				}
				if !v.ReadOnly {
					t.Errorf("%s: bind mount %s is writable", name, rel)
				}
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s: volume %s is not declared", name, v.Source)
				}
			default:
				t.Errorf("%s: volume of type %s", name, v.Type)
			}
		}
		// Only the proxy's client port faces the world.
		for _, port := range s.Ports {
			public := (name == "mtproxy" || name == "mtproxy-b") && port.Target == clientPort
			if !public && port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %d is published on %q, want 127.0.0.1", name, port.Target, port.HostIP)
			}
		}
	}
}

// mountAt returns the service's volume mounted at target.
func mountAt(s types.ServiceConfig, target string) *types.ServiceVolumeConfig {
	for i := range s.Volumes {
		if s.Volumes[i].Target == target {
			return &s.Volumes[i]
		}
	}
	return nil
}

func TestComposeProxy(t *testing.T) {
	p := loadCompose(t, nil)
	s := service(t, p, "mtproxy")
	if s.Build == nil || s.Build.Context != repoRoot(t) {
		t.Errorf("mtproxy is not built from the repository root: %+v", s.Build)
	}
	if s.PullPolicy != types.PullPolicyBuild {
		t.Errorf("mtproxy pull_policy %q: want build, so that compose never runs a pulled image in place of this checkout", s.PullPolicy)
	}
	d := parseDockerfile(t)
	if hc := one[*instructions.HealthCheckCommand](t, d.final()).Health.Test; !slices.Equal(s.HealthCheck.Test, hc) {
		t.Errorf("healthcheck %q, the Dockerfile's is %q", s.HealthCheck.Test, hc)
	}
	targets := map[uint32]string{}
	for _, port := range s.Ports {
		targets[port.Target] = port.HostIP
	}
	if _, ok := targets[clientPort]; !ok {
		t.Errorf("client port %d is not published", clientPort)
	}
	checkKnownEnv(t, "docker-compose.yml mtproxy", sortedKeys(s.Environment))

	// Traces go to the jaeger service's OTLP gRPC port.
	ep := s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]
	if ep == nil {
		t.Fatal("OTEL_EXPORTER_OTLP_ENDPOINT is not set")
	}
	u, err := url.Parse(*ep)
	if err != nil || u.Hostname() != "jaeger" || u.Port() != "4317" {
		t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT %q, want the jaeger service's OTLP gRPC port", *ep)
	}
	if proto := s.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"]; proto != nil && *proto != "grpc" {
		t.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %s with port 4317 (gRPC)", *proto)
	}
	if !s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"}) {
		t.Errorf("mtproxy: want read_only and cap_drop ALL (it writes only /data, binds 443 without capabilities)")
	}

	// `docker compose stop` waits stop_grace_period (10 s by default) before
	// SIGKILL: it must outlast the drain, or Docker kills it half-way.
	set := ""
	if v := s.Environment["SHUTDOWN_TIMEOUT"]; v != nil {
		set = *v
	}
	drain := shutdownDrain(t, set)
	if s.StopGracePeriod == nil || time.Duration(*s.StopGracePeriod) <= drain {
		t.Errorf("mtproxy stop_grace_period %v does not exceed SHUTDOWN_TIMEOUT %v", s.StopGracePeriod, drain)
	}
}

func TestComposeJaeger(t *testing.T) {
	s := service(t, loadCompose(t, nil), "jaeger")
	if !regexp.MustCompile(`^jaegertracing/jaeger:2\.\d+\.\d+$`).MatchString(s.Image) {
		t.Errorf("jaeger image %s, want jaegertracing/jaeger:2.x.y (Jaeger v2)", s.Image)
	}
	var ports []uint32
	for _, p := range s.Ports {
		ports = append(ports, p.Target)
	}
	for _, want := range []uint32{4317, 4318, 16686} {
		if !slices.Contains(ports, want) {
			t.Errorf("jaeger does not publish %d", want)
		}
	}
}

// composeVar matches an interpolation: ${NAME} or ${NAME<op>...}.
var composeVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}`)

func TestComposeInterpolation(t *testing.T) {
	// Every variable has a default: `docker compose up` works with an
	// empty environment, as `docker run` of the seed did.
	raw := string(readRepoFile(t, "docker-compose.yml"))
	for _, m := range composeVar.FindAllStringSubmatch(raw, -1) {
		if !strings.HasPrefix(m[2], ":-") {
			t.Errorf("%s has no default (${%s:-...})", m[0], m[1])
		}
	}
	empty := service(t, loadCompose(t, map[string]string{}), "mtproxy")
	if v := empty.Environment["SECRET"]; v == nil || *v != "" {
		t.Errorf("SECRET with an empty environment: %v, want empty (the binary then generates one)", v)
	}
	const secret = "00baadf00d15abad1deaa515baadcafe"
	set := loadCompose(t, map[string]string{"SECRET": secret, "WORKERS": "4", "MTPROXY_PORT": "8443"})
	s := service(t, set, "mtproxy")
	if v := s.Environment["SECRET"]; v == nil || *v != secret {
		t.Errorf("SECRET not passed through: %v", v)
	}
	if v := s.Environment["WORKERS"]; v == nil || *v != "4" {
		t.Errorf("WORKERS not passed through: %v", v)
	}
	published := false
	for _, p := range s.Ports {
		published = published || (p.Target == clientPort && p.Published == "8443")
	}
	if !published {
		t.Errorf("MTPROXY_PORT=8443 does not publish the client port on 8443: %+v", s.Ports)
	}
}
