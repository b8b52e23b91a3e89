package packagingtest

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadComposeProfiles loads docker-compose.yml as loadCompose does, with
// profiles enabled.
func loadComposeProfiles(t *testing.T, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("mtproxy", true)
		o.ResolvePaths = true
		o.Profiles = profiles
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The fleet profile adds a second replica and Valkey; both replicas use
// STATE_URL, which names the valkey service's port, serve one secret and
// keep their own /data; the store is not published.
func TestComposeFleetProfile(t *testing.T) {
	if got := loadCompose(t, nil).ServiceNames(); slices.Contains(got, "valkey") || slices.Contains(got, "mtproxy-b") {
		t.Fatalf("the default profile runs %v: the fleet must be opt-in", got)
	}
	const stateURL = "redis://valkey:6379/0"
	p := loadComposeProfiles(t, map[string]string{"STATE_URL": stateURL}, "fleet")
	want := []string{"alertmanager", "grafana", "jaeger", "mtproxy", "mtproxy-b", "prometheus", "valkey"}
	if got := p.ServiceNames(); !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	checkComposeServices(t, p)
	a, b := service(t, p, "mtproxy"), service(t, p, "mtproxy-b")
	for _, s := range []types.ServiceConfig{a, b} {
		v := s.Environment["STATE_URL"]
		if v == nil || *v != stateURL {
			t.Fatalf("%s: STATE_URL %v, want %s", s.Name, v, stateURL)
		}
		u, err := url.Parse(*v)
		if err != nil {
			t.Fatal(err)
		}
		checkTarget(t, p, s.Name+" STATE_URL", u.Host)
		checkKnownEnv(t, "docker-compose.yml "+s.Name, sortedKeys(s.Environment))
		if !s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"}) {
			t.Errorf("%s: want read_only and cap_drop ALL", s.Name)
		}
	}
	// One users file for both: the fleet's source of truth.
	if ua, ub := a.Environment["USERS_FILE"], b.Environment["USERS_FILE"]; (ua == nil) != (ub == nil) || ua != nil && *ua != *ub {
		t.Errorf("the replicas' USERS_FILE differ: %v, %v", ua, ub)
	}
	if ma, mb := mountAt(a, "/etc/mtproxy/users.toml"), mountAt(b, "/etc/mtproxy/users.toml"); ma == nil || mb == nil || ma.Source != mb.Source {
		t.Error("the replicas must mount the same users file")
	}
	// One secret: B reads the file A generates, read-only, after A is up.
	aData, bShared := mountAt(a, "/data"), mountAt(b, "/shared")
	if aData == nil || bShared == nil || aData.Source != bShared.Source || !bShared.ReadOnly {
		t.Errorf("mtproxy-b must mount mtproxy's /data volume read-only at /shared: %+v", bShared)
	}
	if v := b.Environment["SECRET_FILE"]; v == nil || *v != "/shared/secret" {
		t.Errorf("mtproxy-b SECRET_FILE %v, want /shared/secret", v)
	}
	if d, ok := b.DependsOn["mtproxy"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Error("mtproxy-b must wait for mtproxy to be healthy (its secret written)")
	}
	if bData := mountAt(b, "/data"); bData == nil || bData.Type != types.VolumeTypeVolume || bData.Source == aData.Source {
		t.Error("mtproxy-b needs its own named /data volume")
	}
	// Two replicas, two client ports on the host.
	clientPorts := map[string]bool{}
	for _, s := range []types.ServiceConfig{a, b} {
		for _, port := range s.Ports {
			if port.Target == clientPort {
				clientPorts[port.Published] = true
			}
		}
	}
	if len(clientPorts) != 2 {
		t.Errorf("the replicas' client ports are published on %v, want two host ports", clientPorts)
	}
	v := service(t, p, "valkey")
	if len(v.Ports) != 0 {
		t.Errorf("valkey publishes %v: the store has no password here and must stay on the compose network", v.Ports)
	}
	if hc := v.HealthCheck; hc == nil || len(hc.Test) < 2 {
		t.Error("valkey has no healthcheck")
	}
}
