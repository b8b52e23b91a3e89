package packagingtest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/mtproxy/mtproxy/testkit/freeport"
)

// freePort returns a TCP port free on loopback right now.
func freePort(t *testing.T) int {
	t.Helper()
	p, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// loopbackOnly keeps a started proxy off the network: direct mode, given
// addresses, and every detector and DC pointed at a closed loopback port.
func loopbackOnly() map[string]string {
	const closed = "127.0.0.1:9"
	var dcs []string
	for _, id := range []int{1, 2, 3, 4, 5, 203} {
		dcs = append(dcs, fmt.Sprintf("%d=%s", id, closed))
	}
	return map[string]string{
		"MODE":           "direct",
		"IP":             "127.0.0.1",
		"INTERNAL_IP":    "127.0.0.1",
		"IP_DETECT_URLS": "http://" + closed + "/",
		"NTP_SERVERS":    closed,
		"DC_ADDRS":       strings.Join(dcs, ","),
		"LOG_FORMAT":     "json",
	}
}

// testImageHealthcheck starts the binary as the image does (ENTRYPOINT,
// ENV, /data as a fresh volume; ports moved to free ones) and runs the
// image's HEALTHCHECK command against it: it must fail before the proxy
// runs and pass once it does, and the probe paths of the Kubernetes
// manifests must be served.
func testImageHealthcheck(t *testing.T, d dockerfile, bin string) {
	env := imageEnv(t, d)
	volume := t.TempDir()
	for k, v := range env {
		if rest, ok := strings.CutPrefix(v, "/data/"); ok {
			env[k] = filepath.Join(volume, rest)
		}
	}
	internal := freePort(t)
	env["PORT"], env["INTERNAL_PORT"] = strconv.Itoa(freePort(t)), strconv.Itoa(internal)
	for k, v := range loopbackOnly() {
		env[k] = v
	}
	environ := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		environ = append(environ, k+"="+env[k])
	}

	hc := one[*instructions.HealthCheckCommand](t, d.final()).Health.Test
	healthcheck := func() error {
		cmd := exec.Command(bin, hc[2:]...) // hc is CMD, /mtproxy, args...
		cmd.Env = environ
		return cmd.Run()
	}
	if healthcheck() == nil {
		t.Fatal("HEALTHCHECK passes with no proxy running")
	}

	ep := one[*instructions.EntrypointCommand](t, d.final()).CmdLine
	proxy := exec.Command(bin, ep[1:]...)
	proxy.Env = environ
	var logs bytes.Buffer
	proxy.Stdout, proxy.Stderr = &logs, &logs
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- proxy.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = proxy.Process.Kill()
			<-exited
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for healthcheck() != nil {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the proxy exited (%v) before its HEALTHCHECK passed:\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("HEALTHCHECK still failing after 20s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The image's SECRET_FILE lands in the volume, private to the user.
	if st, err := os.Stat(env["SECRET_FILE"]); err != nil {
		t.Errorf("no generated SECRET_FILE in the volume: %v", err)
	} else if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("SECRET_FILE mode %v: readable by others", st.Mode().Perm())
	}

	client := &http.Client{Timeout: 5 * time.Second}
	for path, ok := range map[string][]int{
		"/healthz": {http.StatusOK},
		"/readyz":  {http.StatusOK, http.StatusServiceUnavailable}, // upstreams are closed ports here
	} {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(internal) + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		resp.Body.Close()
		if !containsInt(ok, resp.StatusCode) {
			t.Errorf("GET %s: %s, want one of %v", path, resp.Status, ok)
		}
	}

	// docker stop sends SIGTERM and waits 10s by default.
	if err := proxy.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("still running 10s after SIGTERM (docker stop would kill it)")
	}
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
