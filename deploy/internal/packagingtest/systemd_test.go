package packagingtest

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/unit"
)

const (
	systemdUnit    = "deploy/systemd/mtproxy.service"
	systemdEnvFile = "deploy/systemd/mtproxy.env"
	// The unit's binary and environment file on an installed host.
	installedBinary  = "/usr/local/bin/mtproxy"
	installedEnvFile = "/etc/mtproxy/mtproxy.env"
)

// unitDirectives is a parsed unit: section -> name -> values in order.
type unitDirectives map[string]map[string][]string

func parseUnit(t *testing.T) unitDirectives {
	t.Helper()
	opts, err := unit.DeserializeOptions(bytes.NewReader(readRepoFile(t, systemdUnit)))
	if err != nil {
		t.Fatal(err)
	}
	u := unitDirectives{}
	for _, o := range opts {
		if u[o.Section] == nil {
			u[o.Section] = map[string][]string{}
		}
		u[o.Section][o.Name] = append(u[o.Section][o.Name], o.Value)
	}
	return u
}

// one returns the single value of a directive.
func (u unitDirectives) one(t *testing.T, section, name string) string {
	t.Helper()
	v := u[section][name]
	if len(v) != 1 {
		t.Errorf("[%s] %s: %d values %q, want one", section, name, len(v), v)
		return ""
	}
	return v[0]
}

// environment returns the variables set by the Environment= lines.
func (u unitDirectives) environment(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range u["Service"]["Environment"] {
		for _, kv := range strings.Fields(line) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Errorf("Environment=%s: not KEY=VALUE", line)
			}
			env[k] = v
		}
	}
	return env
}

func TestSystemdUnit(t *testing.T) {
	u := parseUnit(t)
	if got := u.one(t, "Service", "ExecStart"); got != installedBinary {
		t.Errorf("ExecStart=%s, want %s (settings come from the environment)", got, installedBinary)
	}
	for name, want := range map[string]string{
		"Type":                  "exec",
		"Restart":               "on-failure",
		"DynamicUser":           "yes",
		"AmbientCapabilities":   "CAP_NET_BIND_SERVICE",
		"CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"ProtectHome":           "yes",
		"PrivateTmp":            "yes",
		"PrivateDevices":        "yes",
		"EnvironmentFile":       "-" + installedEnvFile,
		"UMask":                 "0077",
	} {
		if got := u.one(t, "Service", name); got != want {
			t.Errorf("%s=%s, want %s", name, got, want)
		}
	}
	if slices.Contains(u["Service"]["User"], "root") || u["Service"]["PrivateUsers"] != nil {
		t.Error("root user, or PrivateUsers (which voids CAP_NET_BIND_SERVICE for the host's ports)")
	}
	if !slices.Contains(u["Install"]["WantedBy"], "multi-user.target") {
		t.Error("not WantedBy=multi-user.target")
	}
	for _, name := range []string{"Wants", "After"} {
		if !strings.Contains(strings.Join(u["Unit"][name], " "), "network-online.target") {
			t.Errorf("%s lacks network-online.target", name)
		}
	}

	// A configuration error exits with the binary's exitConfig: restarting
	// cannot fix it.
	m := regexp.MustCompile(`exitConfig\s*=\s*(\d+)`).FindSubmatch(readRepoFile(t, "cmd/mtproxy/main.go"))
	if m == nil {
		t.Fatal("cmd/mtproxy/main.go has no exitConfig")
	}
	if got := u.one(t, "Service", "RestartPreventExitStatus"); got != string(m[1]) {
		t.Errorf("RestartPreventExitStatus=%s, the binary's exitConfig is %s", got, m[1])
	}

	// The files the binary writes are in the StateDirectory, the only
	// writable place under ProtectSystem=strict.
	env := u.environment(t)
	checkKnownEnv(t, systemdUnit, sortedKeys(env))
	state := "/var/lib/" + u.one(t, "Service", "StateDirectory")
	for _, name := range []string{"SECRET_FILE", "PROXY_SECRET_FILE", "PROXY_CONFIG_FILE", "REPLAY_CACHE_FILE"} {
		if v := env[name]; path.Dir(v) != state {
			t.Errorf("%s=%q is not in the StateDirectory %s", name, v, state)
		}
	}

	// systemd's stop timeout outlasts the drain.
	stop, err := time.ParseDuration(u.one(t, "Service", "TimeoutStopSec"))
	if err != nil {
		t.Fatal(err)
	}
	if drain := shutdownDrain(t, env["SHUTDOWN_TIMEOUT"]); stop <= drain {
		t.Errorf("TimeoutStopSec=%v does not outlast SHUTDOWN_TIMEOUT %v", stop, drain)
	}
}

// readEnvFile parses an EnvironmentFile: KEY=VALUE lines, # comments.
func readEnvFile(t *testing.T, rel string) map[string]string {
	t.Helper()
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(readRepoFile(t, rel)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s:%d: not KEY=VALUE", rel, n)
			continue
		}
		if _, dup := env[k]; dup {
			t.Errorf("%s:%d: %s set twice", rel, n, k)
		}
		env[k] = v
	}
	return env
}

func TestSystemdEnvFile(t *testing.T) {
	env := readEnvFile(t, systemdEnvFile)
	checkKnownEnv(t, systemdEnvFile, sortedKeys(env))
	if env["SECRET"] != "" || env["TAG"] != "" {
		t.Error("the example environment file ships a SECRET or TAG")
	}
	seed := seedDefaults()
	for _, k := range []string{"PORT", "INTERNAL_PORT", "WORKERS", "SECRET_COUNT"} {
		if v, ok := env[k]; ok && v != seed[k] {
			t.Errorf("%s=%s, the default is %s", k, v, seed[k])
		}
	}
	// The unit owns the state paths; the file must not move them out of
	// the StateDirectory.
	for _, k := range []string{"SECRET_FILE", "PROXY_SECRET_FILE", "PROXY_CONFIG_FILE"} {
		if _, ok := env[k]; ok {
			t.Errorf("%s is set in the environment file: it overrides the unit's StateDirectory path", k)
		}
	}
	// INTERNAL_PORT stays off the public address.
	if a, err := netip.ParseAddr(env["INTERNAL_BIND"]); err != nil || !(a.IsLoopback() || a.IsPrivate()) {
		t.Errorf("INTERNAL_BIND=%q: the example must bind INTERNAL_PORT to loopback or a private address", env["INTERNAL_BIND"])
	}
}

// TestSystemdAnalyze has systemd check the unit, when systemd-analyze is
// installed: no unknown or malformed directive, and an exposure level of
// "OK" (below 2.0) in its offline security review.
func TestSystemdAnalyze(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	// verify insists that ExecStart exists: check a copy that runs /bin/true.
	src := string(readRepoFile(t, systemdUnit))
	copyPath := filepath.Join(t.TempDir(), "mtproxy.service")
	if err := os.WriteFile(copyPath, []byte(strings.Replace(src, "ExecStart="+installedBinary, "ExecStart=/bin/true", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", copyPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	unitPath := filepath.Join(repoRoot(t), filepath.FromSlash(systemdUnit))
	out, err = exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=20", "--no-pager", unitPath).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure over 2.0 (%v)\n%s", err, out)
	}
}
