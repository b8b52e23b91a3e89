package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

const (
	doctorSecret = "0123456789abcdef0123456789abcdef"
	doctorTag    = "3f40462915a3e6026a4d790127b95ded"
)

// doctorEnv is baseEnv with a known secret, every DC at one fake DC and
// Telegram's files at a port nobody listens on.
func doctorEnv(t *testing.T) map[string]string {
	t.Helper()
	env := baseEnv(t)
	env["SECRET"] = doctorSecret
	dc := fakedc.Start(t, fakedc.Options{})
	var dcs []string
	for _, id := range []int{1, 2, 3, 4, 5, 203} {
		dcs = append(dcs, fmt.Sprintf("%d=%s", id, dc.Addr()))
	}
	env["DC_ADDRS"] = strings.Join(dcs, ",")
	closed := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	env["PROXY_SECRET_URL"], env["PROXY_CONFIG_URL"] = closed+"/getProxySecret", closed+"/getProxyConfig"
	return env
}

// middleWorld is Telegram's side of middle mode on loopback: a fake
// core.telegram.org whose list names one fake middle proxy for DCs 1, 2
// and -2.
type middleWorld struct {
	core   *fakecore.Server
	mp     *fakemiddle.Server
	secret []byte // getProxySecret
	conf   []byte // getProxyConfig
}

// startMiddleWorld starts it and points env's PROXY_*_URL at it.
func startMiddleWorld(t *testing.T, env map[string]string) middleWorld {
	t.Helper()
	var w middleWorld
	w.secret = proxySecret(t)
	var err error
	if w.mp, err = fakemiddle.New(fakemiddle.Options{Secret: w.secret}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.mp.Close() })
	w.conf = []byte(fmt.Sprintf("proxy_for 1 %[1]s;\nproxy_for 2 %[1]s;\nproxy_for -2 %[1]s;\ndefault 2;\n", w.mp.Addr()))
	w.core = fakecore.New(w.secret, w.conf, nil)
	t.Cleanup(w.core.Close)
	env["PROXY_SECRET_URL"], env["PROXY_CONFIG_URL"] = w.core.SecretURL(), w.core.ConfigURL()
	return w
}

// checkLine returns the report line of the named check.
func checkLine(t *testing.T, stdout, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\[(ok|warn|FAIL|skip)\]\s+` + regexp.QuoteMeta(name) + `  .*$`)
	line := re.FindString(stdout)
	if line == "" {
		t.Fatalf("no line for check %q in:\n%s", name, stdout)
	}
	return line
}

// wantLine asserts the named check's status and fragments of its line.
func wantLine(t *testing.T, stdout, name, status string, fragments ...string) {
	t.Helper()
	line := checkLine(t, stdout, name)
	if !strings.HasPrefix(line, "["+status+"]") {
		t.Errorf("check %q is not [%s]: %s", name, status, line)
	}
	for _, f := range fragments {
		if !strings.Contains(line, f) {
			t.Errorf("check %q: %q missing from: %s", name, f, line)
		}
	}
}

// secretsOnlyInLinks asserts the client secret appears on link lines
// only, and the tag nowhere.
func secretsOnlyInLinks(t *testing.T, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		isLink := strings.Contains(l, "tg://proxy?") || strings.Contains(l, "https://t.me/proxy?")
		if strings.Contains(l, doctorSecret) && !isLink {
			t.Errorf("secret outside a link line: %s", l)
		}
		if strings.Contains(l, doctorTag) {
			t.Errorf("tag printed: %s", l)
		}
	}
}

// The default mode (auto) with every dependency on loopback: every check
// passes but the address one, whose configured IP no look-up can confirm,
// and the path check says clients go through the middle proxies.
func TestDoctorAllGood(t *testing.T) {
	env := doctorEnv(t)
	startMiddleWorld(t, env)
	code, stdout, stderr := runOnce(t, env, "doctor")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	wantLine(t, stdout, "config", "ok", "mode auto (middle proxies, direct while they are down for 30s); 1 secret from SECRET; PORT "+env["PORT"])
	wantLine(t, stdout, "clock", "ok", "(Date header 127.0.0.1:")
	if !strings.Contains(stdout, "NTP: no answer: 127.0.0.1:1") {
		t.Errorf("the NTP failure is not reported:\n%s", stdout)
	}
	// ok or warn with the host's routes: the look-ups cannot confirm IP.
	if l := checkLine(t, stdout, "addresses"); strings.HasPrefix(l, "[FAIL]") || !strings.Contains(l, "127.0.0.1 (configured)") {
		t.Errorf("addresses: %s", l)
	}
	wantLine(t, stdout, "port", "ok", "PORT "+env["PORT"]+" is free on 127.0.0.1")
	wantLine(t, stdout, "internal port", "ok", "is free")
	wantLine(t, stdout, "running proxy", "skip", "no proxy answers on 127.0.0.1:"+env["INTERNAL_PORT"])
	for _, id := range []string{"1", "2", "3", "4", "5", "203"} {
		wantLine(t, stdout, "dc "+id, "ok", "127.0.0.1:")
	}
	wantLine(t, stdout, "proxy secret", "ok", "128 bytes, valid; no cache yet")
	wantLine(t, stdout, "proxy config", "ok", "3 middle proxies for 3 DCs, default DC 2")
	wantLine(t, stdout, "middle proxies", "ok", "3 of 3 answered")
	wantLine(t, stdout, "path", "ok", "clients go through the middle proxies (MODE=auto, downloaded files; every DC has a working middle proxy)")
	wantLine(t, stdout, "tag", "skip", "no TAG")
	wantLine(t, stdout, "fronting", "skip", "FakeTLS off")
	wantLine(t, stdout, "links", "ok", "2 links for 1 secret at 127.0.0.1:"+env["PORT"])
	link := "tg://proxy?server=127.0.0.1&port=" + env["PORT"] + "&secret=dd" + doctorSecret
	if !strings.Contains(stdout, link) {
		t.Errorf("link %s missing", link)
	}
	if !regexp.MustCompile(`(?m)^ok( with warnings)?: 1[0-9] ok, `).MatchString(stdout) {
		t.Errorf("no summary line:\n%s", stdout)
	}
	secretsOnlyInLinks(t, stdout+stderr)
	if _, err := os.Stat(env["PROXY_SECRET_FILE"]); err == nil {
		t.Error("doctor wrote PROXY_SECRET_FILE")
	}

	// The same as JSON, for scripts, with the secrets elided.
	code, stdout, _ = runOnce(t, env, "doctor", "--json", "--hide-links")
	var rep struct {
		OK     bool `json:"ok"`
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || !rep.OK || len(rep.Checks) < 15 {
		t.Fatalf("--json: exit %d, %v, %+v:\n%s", code, err, rep, stdout)
	}
	if strings.Contains(stdout, doctorSecret) {
		t.Error("--hide-links printed the secret")
	}
}

// runUnshared runs the binary in a new network namespace, where not even
// loopback is up: a host cut off from everything.
func runUnshared(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	if out, err := exec.Command("unshare", "-rn", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare -rn is not permitted here: %v %s", err, out)
	}
	cmd := exec.Command("unshare", append([]string{"-rn", binary}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), stdout.String(), stderr.String()
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("doctor did not finish offline in %v", time.Since(start))
	}
	return 0, stdout.String(), stderr.String()
}

// Offline, doctor still answers at once, exits 1, says what failed and
// why, and prints the links with the placeholder host.
func TestDoctorOffline(t *testing.T) {
	cases := []struct {
		mode   string
		failed []string // every check expected to fail
	}{
		{"direct", []string{"dc 1", "dc 2", "dc 3", "dc 4", "dc 5", "dc 203"}},
		{"middle", []string{"addresses", "proxy secret", "proxy config", "middle proxies"}},
		// Auto serves directly without the files: the DCs are what fails.
		{"auto", []string{"dc 1", "dc 2", "dc 3", "dc 4", "dc 5", "dc 203"}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			env := baseEnv(t)
			env["SECRET"], env["MODE"] = doctorSecret, c.mode
			delete(env, "IP")   // nothing to say where we are
			delete(env, "BIND") // loopback is down too
			delete(env, "DC_ADDRS")
			delete(env, "NTP_SERVERS")
			delete(env, "IP_DETECT_URLS")
			delete(env, "PROXY_SECRET_URL") // core.telegram.org, unreachable here
			delete(env, "PROXY_CONFIG_URL")
			start := time.Now()
			code, stdout, stderr := runUnshared(t, env, "doctor")
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("took %v offline", took)
			}
			var got []string
			for _, m := range regexp.MustCompile(`(?m)^\[FAIL\]\s+(.+?)  +(.*)$`).FindAllStringSubmatch(stdout, -1) {
				got = append(got, m[1])
				if strings.TrimSpace(m[2]) == "" {
					t.Errorf("check %s failed without a reason", m[1])
				}
			}
			if strings.Join(got, ",") != strings.Join(c.failed, ",") {
				t.Errorf("failed checks %q, want %q\n%s", got, c.failed, stdout)
			}
			for _, name := range c.failed {
				if strings.HasPrefix(name, "dc ") {
					wantLine(t, stdout, name, "FAIL", "unreachable (no route)")
				}
			}
			if c.mode == "middle" {
				wantLine(t, stdout, "proxy config", "FAIL", "no usable copy: download from core.telegram.org:", "no such file or directory")
			}
			if c.mode == "auto" {
				wantLine(t, stdout, "proxy config", "warn", "no usable copy")
				wantLine(t, stdout, "path", "warn", "MODE=auto would serve every client directly", "photos, videos and stories of accounts without Premium will not load")
			}
			if c.mode == "direct" {
				wantLine(t, stdout, "path", "warn", "clients are served directly (MODE=direct)")
			}
			wantLine(t, stdout, "clock", "warn", "offset from UTC unknown")
			wantLine(t, stdout, "links", "warn", "placeholder host YOUR_SERVER_IP")
			link := "tg://proxy?server=YOUR_SERVER_IP&port=" + env["PORT"] + "&secret=dd" + doctorSecret
			if !strings.Contains(stdout, link) {
				t.Errorf("link %s missing:\n%s", link, stdout)
			}
			if !strings.Contains(stdout, "FAILED: ") {
				t.Errorf("no failed summary:\n%s", stdout)
			}
			secretsOnlyInLinks(t, stdout+stderr)
		})
	}
}

// Middle mode: the middle proxies of the downloaded list are checked with
// the real RPC handshake, which the fake middle proxy completes.
func TestDoctorMiddleMode(t *testing.T) {
	env := doctorEnv(t)
	env["TAG"], env["MODE"] = doctorTag, "middle"
	m := startMiddleWorld(t, env).mp
	code, stdout, stderr := runOnce(t, env, "doctor")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	wantLine(t, stdout, "config", "ok", "mode middle")
	wantLine(t, stdout, "tag", "ok", "sent with every client packet through the middle proxies")
	wantLine(t, stdout, "path", "ok", "clients go through the middle proxies (MODE=middle)")
	wantLine(t, stdout, "proxy secret", "ok", "downloaded from 127.0.0.1:")
	wantLine(t, stdout, "proxy config", "ok", "downloaded from 127.0.0.1:")
	wantLine(t, stdout, "middle proxies", "ok", "3 of 3 answered", "RPC handshake ok with 3 as 127.0.0.1", "(downloaded list, 3 DCs)")
	deadline := time.Now().Add(5 * time.Second)
	for m.Stats().Handshakes < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if st := m.Stats(); st.Handshakes != 3 || len(st.Failures) != 0 {
		t.Errorf("the fake middle proxy saw %+v", st)
	}
	if v := m.Violations(); len(v) != 0 {
		t.Errorf("protocol violations: %q", v)
	}
	secretsOnlyInLinks(t, stdout+stderr)
}

// Telegram unreachable, a fresh cached proxy secret and a cached list
// three days old: the list is reported as stale, and the middle proxies
// are checked from the caches, the handshake included.
func TestDoctorStaleConfig(t *testing.T) {
	env := doctorEnv(t)
	env["MODE"] = "middle"
	w := startMiddleWorld(t, env)
	writeAged(t, env["PROXY_SECRET_FILE"], w.secret, 10*time.Minute)
	writeAged(t, env["PROXY_CONFIG_FILE"], w.conf, 72*time.Hour)
	w.core.SetDown(true)
	code, stdout, stderr := runOnce(t, env, "doctor")
	if code != 0 {
		t.Errorf("exit %d, want 0 (the proxy would run on its caches)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	wantLine(t, stdout, "proxy config", "warn", "download from 127.0.0.1:", "failed (", "the cache is stale: 3d0h old (CONFIG_REFRESH_INTERVAL 1h0m0s)")
	wantLine(t, stdout, "proxy secret", "warn", "failed (", "the cache (10m old) would be used")
	wantLine(t, stdout, "middle proxies", "ok", "3 of 3 answered", "RPC handshake ok with 3", "(cached list, 3 DCs)")

	// Without the proxy secret's cache the proxy could not start.
	if err := os.Remove(env["PROXY_SECRET_FILE"]); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runOnce(t, env, "doctor")
	wantLine(t, stdout, "proxy secret", "FAIL", "no usable copy")
	wantLine(t, stdout, "proxy config", "warn", "the cache is stale")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

// writeAged writes a file last modified age ago.
func writeAged(t *testing.T, path string, b []byte, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// Exit codes: 2 for a command line doctor cannot run, 1 for a
// configuration the proxy would refuse (reported as the failed check),
// 0 for the help.
func TestDoctorUsage(t *testing.T) {
	env := doctorEnv(t)
	for _, args := range [][]string{{"doctor", "--no-such-flag"}, {"doctor", "--timeout=soon"}} {
		code, stdout, stderr := runOnce(t, env, args...)
		if code != 2 || len(lines(stderr)) != 1 || !strings.Contains(stderr, "doctor: bad command line") || stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	code, stdout, _ := runOnce(t, env, "doctor", "--help")
	if code != 0 || !strings.Contains(stdout, "Usage: mtproxy doctor") || !strings.Contains(stdout, "NTP_SERVERS") {
		t.Errorf("--help: exit %d:\n%s", code, stdout)
	}
	env["PORT"] = "70000"
	code, stdout, _ = runOnce(t, env, "doctor")
	if code != 1 {
		t.Errorf("bad PORT: exit %d, want 1", code)
	}
	wantLine(t, stdout, "config", "FAIL", "the configuration does not load", "PORT")
}
