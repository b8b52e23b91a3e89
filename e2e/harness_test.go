package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/freeport"
)

// binary is the mtproxy binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mtproxy-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mtproxy")
	build := exec.Command("go", "build", "-o", binary, "../cmd/mtproxy")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building mtproxy:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback TCP port nobody listens on right now, below
// the ephemeral range (freeport).
func freePort(t testing.TB) int {
	t.Helper()
	p, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// deadCore is where Telegram's files are looked for unless a test serves
// them: a loopback port nobody listens on, so MODE=auto (the default)
// starts without them at once and never reaches core.telegram.org.
const deadCore = "http://127.0.0.1:1"

// baseEnv is the environment every proxy under test gets: loopback ports,
// a private SECRET_FILE, no look-ups leaving the machine.
func baseEnv(t testing.TB) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"PROXY_SECRET_URL":  deadCore + "/getProxySecret",
		"PROXY_CONFIG_URL":  deadCore + "/getProxyConfig",
		"PORT":              strconv.Itoa(freePort(t)),
		"INTERNAL_PORT":     strconv.Itoa(freePort(t)),
		"BIND":              "127.0.0.1",
		"SECRET_FILE":       filepath.Join(dir, "secret"),
		"PROXY_SECRET_FILE": filepath.Join(dir, "proxy.secret"),
		"PROXY_CONFIG_FILE": filepath.Join(dir, "proxy.conf"),
		"REPLAY_CACHE_FILE": filepath.Join(dir, "replay.cache"),
		"IP":                "127.0.0.1",
		"IP_DETECT_URLS":    "http://127.0.0.1:1/ip",
		"NTP_SERVERS":       "127.0.0.1:1",
		"LOG_FORMAT":        "json",
		"DC_PROBE_INTERVAL": "1s",
		"SHUTDOWN_TIMEOUT":  "5s",
	}
}

// proc is a running mtproxy.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	env    map[string]string
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// start runs the binary with env (and no inherited environment but PATH
// and HOME), and args.
func start(t testing.TB, env map[string]string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, env: env, done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout = syncWriter{&p.mu, &p.stdout}
	p.cmd.Stderr = syncWriter{&p.mu, &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("mtproxy stdout:\n%s\nmtproxy stderr:\n%s", p.Stdout(), p.Stderr())
		}
	})
	return p
}

func (p *proc) Stdout() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stdout.String() }
func (p *proc) Stderr() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stderr.String() }

// addr is the client address of the proxy.
func (p *proc) addr() string { return "127.0.0.1:" + p.env["PORT"] }

// internal is the base URL of the internal HTTP port.
func (p *proc) internal() string { return "http://127.0.0.1:" + p.env["INTERNAL_PORT"] }

// waitReady waits until the proxy prints its start-up block and serves
// its internal port (both listeners are open by then).
func (p *proc) waitReady() {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			p.t.Fatalf("mtproxy exited early: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.Stdout(), p.Stderr())
		default:
		}
		// /healthz rather than a dial of the client port, which would
		// count as a client and a failed handshake.
		if strings.Contains(p.Stdout(), "Final configuration") {
			if resp, err := http.Get(p.internal() + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("mtproxy not ready in time\nstdout:\n%s\nstderr:\n%s", p.Stdout(), p.Stderr())
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("mtproxy did not exit within %v\nstdout:\n%s\nstderr:\n%s", timeout, p.Stdout(), p.Stderr())
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

func (p *proc) signal(s syscall.Signal) { p.cmd.Process.Signal(s) }

// runOnce runs the binary to completion and returns its exit code and output.
func runOnce(t testing.TB, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := start(t, env, args...)
	code = p.wait(30 * time.Second)
	return code, p.Stdout(), p.Stderr()
}

// get fetches a URL of the internal port.
func get(t testing.TB, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
