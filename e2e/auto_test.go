package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/mtproto"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// MODE=auto is the default: these tests set neither MODE nor TAG.

// newAutoRig is the binary on its defaults in front of a fake Telegram:
// the core and one middle proxy for DCs 2 and -2 (no tag expected), and a
// fake DC behind every DC id for the direct path.
func newAutoRig(t *testing.T) *middleRig {
	t.Helper()
	r := newFakeTelegram(t, nil)
	dcsAt(r.env, fakedc.Start(t, fakedc.Options{}))
	return r
}

// waitPath waits, up to bound, until /stats says DC 2's new clients take
// path.
func waitPath(t *testing.T, p *proc, path string, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		s := statsPage(t, p)
		if s["dc_2_path"] == path {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("DC 2 not on the %s path within %v: dc_2_path %q", path, bound, s["dc_2_path"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// directDials counts the dials to DC 2 the proxy made for clients: those
// it served directly (the DC prober's own connections are not dials).
func directDials(t *testing.T, p *proc) float64 {
	t.Helper()
	v, _ := metric(t, p, "mtproxy_upstream_dials_total", map[string]string{"dc": "2", "result": "ok"})
	return v
}

// switchLogs counts the log lines of DC 2's switches to path.
func switchLogs(p *proc, path string) int {
	n := 0
	for _, l := range strings.Split(p.Stderr(), "\n") {
		if strings.Contains(l, `"msg":"DC 2 switched to `+path) && strings.Contains(l, `"dc":2,`) {
			n++
		}
	}
	return n
}

// With neither TAG nor MODE, a real Telethon client's first packet,
// req_pq_multi, reaches the fake middle proxy in an RPC_PROXY_REQ, and
// nothing goes straight to a DC.
func TestAutoByDefaultTelethonThroughMiddle(t *testing.T) {
	needTelethon(t)
	r := newAutoRig(t)
	p := start(t, r.env)
	p.waitReady()
	if !strings.Contains(p.Stdout(), "[*]   Mode: middle (auto: Telegram's files downloaded)") {
		t.Fatalf("the start-up block does not show middle mode:\n%s", p.Stdout())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	exited := startTelethon(t, ctx, r.env["PORT"], hex.EncodeToString(r.secret[:]), "intermediate")
	for len(r.mid.Requests()) == 0 {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("Telethon ended (%v) before its first packet reached the middle proxy", err)
		case <-ctx.Done():
			t.Fatal("no RPC_PROXY_REQ within the bound")
		case <-time.After(50 * time.Millisecond):
		}
	}
	first := r.mid.Requests()[0]
	if ctor, ok := mtproto.Constructor(first.Packet); !ok || ctor != mtproto.CtorReqPQMulti {
		t.Fatalf("the first RPC_PROXY_REQ carries constructor %#x, want req_pq_multi %#x", ctor, mtproto.CtorReqPQMulti)
	}
	if first.Tag != nil {
		t.Errorf("a tag was sent without TAG")
	}
	if v := r.mid.Violations(); len(v) > 0 {
		t.Fatalf("the fake middle proxy saw bad requests:\n%s", strings.Join(v, "\n"))
	}
	if n := directDials(t, p); n != 0 {
		t.Fatalf("%v connections went straight to DC 2", n)
	}
	for labels, want := range map[[2]string]float64{{"2", "middle"}: 1, {"2", "direct"}: 0} {
		if v, ok := metric(t, p, "mtproxy_upstream_path", map[string]string{"dc": labels[0], "path": labels[1]}); !ok || v != want {
			t.Errorf("mtproxy_upstream_path{dc=%s,path=%s} = %v (present %v), want %v", labels[0], labels[1], v, ok, want)
		}
	}
	if v, _ := metric(t, p, "mtproxy_upstream_mode", map[string]string{"mode": "auto"}); v != 1 {
		t.Errorf("mtproxy_upstream_mode{mode=auto} = %v", v)
	}
}

// No network on the first start (Telegram's files unreachable, no cache):
// the proxy starts, says so, serves directly; when the files become
// reachable DC 2 switches to the middle proxies, new clients go through
// them, and the client connected directly before the switch keeps working.
func TestAutoOfflineStartThenMiddle(t *testing.T) {
	r := newAutoRig(t)
	r.core.SetDown(true)
	p := start(t, r.env)
	p.waitReady()
	out := p.Stdout()
	for _, want := range []string{
		"[*]   Mode: direct for now (auto: no Telegram files yet; switching to middle when they download)",
		"[!] Telegram's proxy files could not be downloaded",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("the start-up block lacks %q:\n%s", want, out)
		}
	}
	if s := statsPage(t, p); s["mode"] != "auto" || s["dc_2_path"] != "direct" {
		t.Fatalf("/stats mode %q dc_2_path %q, want auto and direct", s["mode"], s["dc_2_path"])
	}
	before := r.dial(p, client.Intermediate)
	reqPQ(t, before)
	if n := directDials(t, p); n != 1 {
		t.Fatalf("%v dials to DC 2 for the first client, want 1", n)
	}

	r.core.SetDown(false)
	waitPath(t, p, "middle", 60*time.Second)
	after := r.dial(p, client.Padded)
	reqPQ(t, after)
	echo(t, after, 96, false)
	if n := len(r.mid.Requests()); n != 2 {
		t.Fatalf("%d requests reached the middle proxy, want 2 (req_pq_multi and the echo)", n)
	}
	echo(t, before, 96, false)
	if n := directDials(t, p); n != 1 {
		t.Errorf("%v dials to DC 2, want only the first client's", n)
	}
	if v, _ := metric(t, p, "mtproxy_upstream_path_switches_total", map[string]string{"dc": "2", "to": "middle"}); v != 1 {
		t.Errorf("switches of DC 2 to middle: %v, want 1", v)
	}
	if n := switchLogs(p, "the middle proxies"); n != 1 {
		t.Errorf("DC 2's switch logged %d times, want once:\n%s", n, p.Stderr())
	}
	if b, err := os.ReadFile(r.env["PROXY_CONFIG_FILE"]); err != nil || len(b) == 0 {
		t.Errorf("the downloaded config was not cached for the next start: %v", err)
	}
}

// A middle proxy that dies: after DIRECT_FALLBACK_AFTER DC 2's new
// clients go straight to the DC; when the middle proxy answers again they
// go back through it. Each switch is counted and logged once; the direct
// client keeps working across the switch back.
func TestAutoFallbackWhenMiddleProxyDies(t *testing.T) {
	r := newAutoRig(t)
	r.env["DIRECT_FALLBACK_AFTER"] = "2s"
	p := start(t, r.env)
	p.waitReady()
	reqPQ(t, r.dial(p, client.Intermediate))
	if len(r.mid.Requests()) != 1 || directDials(t, p) != 0 {
		t.Fatalf("the first client did not go through the middle proxy")
	}

	r.mid.SetMode(fakemiddle.ModeCloseOnAccept)
	r.mid.DropAll()
	waitPath(t, p, "direct", safety)
	direct := r.dial(p, client.Abridged)
	reqPQ(t, direct)
	if n := directDials(t, p); n != 1 {
		t.Fatalf("%v dials to DC 2 after the fallback, want 1", n)
	}

	r.mid.SetMode(fakemiddle.ModeNormal)
	// The pool retries with backoff (up to a minute) after the failures.
	waitPath(t, p, "middle", 90*time.Second)
	n := len(r.mid.Requests())
	reqPQ(t, r.dial(p, client.Intermediate))
	if got := len(r.mid.Requests()); got != n+1 {
		t.Fatalf("a new client after the recovery did not reach the middle proxy (%d requests, want %d)", got, n+1)
	}
	echo(t, direct, 96, false)
	if n := directDials(t, p); n != 1 {
		t.Errorf("%v dials to DC 2, want 1", n)
	}
	for to, msg := range map[string]string{"direct": "direct", "middle": "the middle proxies"} {
		if v, _ := metric(t, p, "mtproxy_upstream_path_switches_total", map[string]string{"dc": "2", "to": to}); v != 1 {
			t.Errorf("switches of DC 2 to %s: %v, want 1", to, v)
		}
		if n := switchLogs(p, msg); n != 1 {
			t.Errorf("DC 2's switch to %s logged %d times, want once", to, n)
		}
	}
}

// The README's run command, offline: no network at all (a fresh network
// namespace, not even loopback), every setting at its default. The proxy
// starts, serves directly and says why.
func TestAutoStartsWithoutNetwork(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	if out, err := exec.Command("unshare", "-rn", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare -rn is not permitted here: %v %s", err, out)
	}
	dir := t.TempDir()
	cmd := exec.Command("unshare", "-rn", binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"PORT=" + strconv.Itoa(freePort(t)), "INTERNAL_PORT=" + strconv.Itoa(freePort(t)),
		"SECRET_FILE=" + filepath.Join(dir, "secret"), "PROXY_SECRET_FILE=" + filepath.Join(dir, "proxy.secret"),
		"PROXY_CONFIG_FILE=" + filepath.Join(dir, "proxy.conf"), "LOG_FORMAT=json"}
	var mu sync.Mutex
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = syncWriter{&mu, &stdout}, syncWriter{&mu, &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	read := func() (string, string) { mu.Lock(); defer mu.Unlock(); return stdout.String(), stderr.String() }
	const want = "[*]   Mode: direct for now (auto: no Telegram files yet; switching to middle when they download)"
	deadline := time.Now().Add(safety)
	for {
		out, errOut := read()
		if strings.Contains(out, want) {
			break
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the proxy exited offline (%v)\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start-up block offline\nstdout:\n%s\nstderr:\n%s", out, errOut)
		}
	}
	out, errOut := read()
	if !strings.Contains(errOut, `"msg":"proxy started"`) || !strings.Contains(out, "[!] Telegram's proxy files could not be downloaded") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}
