package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/internal/atomicfile"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// userHex is the deterministic secret of user i of these tests.
func userHex(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("mtproxy e2e user %d", i)))
	return hex.EncodeToString(sum[:16])
}

// usersFile writes n users u0..u(n-1) plus extra TOML to dir/users.toml.
func usersFile(t *testing.T, dir string, n int, extra string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[[user]]\nname = \"u%d\"\nsecret = \"%s\"\n", i, userHex(i))
	}
	b.WriteString(extra)
	path := filepath.Join(dir, "users.toml")
	if err := atomicfile.Write(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startUsersRig(t *testing.T, dir string, edit func(env map[string]string)) *rig {
	return startRig(t, fakedc.Options{}, func(env map[string]string) {
		env["USERS_FILE"] = filepath.Join(dir, "users.toml")
		env["USERS_STATE_FILE"] = filepath.Join(dir, "usage.json")
		env["USERS_DRAIN_GRACE"] = "1s"
		if edit != nil {
			edit(env)
		}
	})
}

// A file of 10,000 users: a real Telethon client of the last user (every
// key is tried before it, cold) and of a middle one get through, and so do
// the environment's secret and a FakeTLS-less dd client.
func TestUsersFileOfTenThousandWithTelethon(t *testing.T) {
	needTelethon(t)
	dir := t.TempDir()
	usersFile(t, dir, 10_000, "")
	r := startUsersRig(t, dir, nil)
	waitMetric(t, r.p, "mtproxy_users", map[string]string{"state": "active"}, 10_001)
	for _, i := range []int{9_999, 5_000} {
		ctx := bounded(t)
		exited := startTelethon(t, ctx, r.p.env["PORT"], "dd"+userHex(i), "randomized")
		select {
		case err := <-exited:
			t.Fatalf("Telethon of u%d ended (%v) before req_DH_params", i, err)
		case ci := <-waitReqDH(ctx, r.dc):
			if ci.DC != 2 || len(ci.ReqDH) != 340 || ci.Transport != framing.Padded {
				t.Fatalf("u%d: the DC saw DC %d and a %d-byte req_DH_params", i, ci.DC, len(ci.ReqDH))
			}
		}
	}
	// The environment's secret keeps working next to the file.
	reqPQ(t, dial(t, r.p.addr(), opts(t, client.Abridged, secret1Hex, 2)))
	if v, _ := statsValue(t, r.p, "users_active"); v != "10001" {
		t.Fatalf("/stats users_active = %q", v)
	}
}

// waitReqDH delivers the DC's next req_DH_params.
func waitReqDH(ctx context.Context, d *fakedc.DC) <-chan fakedc.ConnInfo {
	got := make(chan fakedc.ConnInfo, 1)
	go func() {
		if ci, err := d.WaitReqDH(ctx); err == nil {
			got <- ci
		}
	}()
	return got
}

// Disabled, expired, over-quota and over-limit users are refused like a
// bad secret (drained: no fronting host here) and counted by reason, each
// refusal under one reason only.
func TestUsersRefusedByReason(t *testing.T) {
	dir := t.TempDir()
	usersFile(t, dir, 0, fmt.Sprintf(`
[[user]]
name = "off"
secret = "%s"
enabled = false

[[user]]
name = "old"
secret = "%s"
expires = 2020-01-01T00:00:00Z

[[user]]
name = "small"
secret = "%s"
quota = "100B"
quota_period = "day"

[[user]]
name = "one"
secret = "%s"
max_connections = 1

[[user]]
name = "home"
secret = "%s"
max_ips = 1
`, userHex(1), userHex(2), userHex(3), userHex(4), userHex(5)))
	r := startUsersRig(t, dir, nil)
	refused := func(reason string, n float64) {
		t.Helper()
		waitMetric(t, r.p, "mtproxy_users_rejections_total", map[string]string{"reason": reason}, n)
	}
	for _, c := range []struct {
		hex, reason string
	}{{userHex(1), "disabled"}, {userHex(2), "expired"}} {
		cl, err := client.Dial(bounded(t), r.p.addr(), opts(t, client.Padded, c.hex, 2))
		if err == nil {
			cl.Close()
		}
		refused(c.reason, 1)
	}
	// The quota: one connection moves more than 100 bytes, the next is
	// refused. (The engine counts an answer once it is written: the client
	// may read it first, so the test waits for the count.)
	reqPQ(t, dial(t, r.p.addr(), opts(t, client.Padded, userHex(3), 2)))
	waitMetric(t, r.p, "mtproxy_secret_quota_used_bytes", map[string]string{"secret": "small"}, 100)
	cl, err := client.Dial(bounded(t), r.p.addr(), opts(t, client.Padded, userHex(3), 2))
	if err == nil {
		cl.Close()
	}
	refused("quota", 1)
	// max_connections: the second concurrent connection is refused, the
	// first still works.
	first := dial(t, r.p.addr(), opts(t, client.Padded, userHex(4), 2))
	reqPQ(t, first)
	cl, err = client.Dial(bounded(t), r.p.addr(), opts(t, client.Padded, userHex(4), 2))
	if err == nil {
		cl.Close()
	}
	refused("max_connections", 1)
	reqPQ(t, first)
	// max_ips: while a client at 127.0.0.1 is connected, one at 127.0.0.2
	// is refused; another connection from 127.0.0.1 is not.
	home := dial(t, r.p.addr(), opts(t, client.Padded, userHex(5), 2))
	reqPQ(t, home)
	away := opts(t, client.Padded, userHex(5), 2)
	away.LocalAddr = netip.MustParseAddr("127.0.0.2")
	cl, err = client.Dial(bounded(t), r.p.addr(), away)
	if err == nil {
		cl.Close()
	}
	refused("max_ips", 1)
	reqPQ(t, dial(t, r.p.addr(), opts(t, client.Padded, userHex(5), 2)))
	reqPQ(t, home)

	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("padded", "user_refused"), 5)
	for _, reason := range []string{"disabled", "expired", "quota", "max_connections", "max_ips"} {
		if v, _ := metric(t, r.p, "mtproxy_users_rejections_total", map[string]string{"reason": reason}); v != 1 {
			t.Errorf("%s counted %v times, want once", reason, v)
		}
	}
}

// SIGHUP and a plain edit of the file add, remove and rotate users; an
// unchanged user's open connection goes on; a broken file changes nothing.
// A user's quota usage survives a restart. The file is written as editors
// do, to a new file renamed over it: the watcher also sees the writes
// before each SIGHUP, and a file rewritten in place could be read half
// written, empty, by one of its reloads (harmless: the users come back at
// the next read within their grace period, which the registry's
// TestRestoredWithinGraceKeepsConnections shows; but this test's grace is
// one second).
func TestUsersReloadAndQuotaAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	usersFile(t, dir, 3, "") // u0 stays, u1 is removed, u2 rotated
	const token = "e2e-admin-token-0123456789"
	r := startUsersRig(t, dir, func(env map[string]string) { env["ADMIN_TOKEN"] = token })
	stay := dial(t, r.p.addr(), opts(t, client.Padded, userHex(0), 2))
	reqPQ(t, stay)
	gone := dial(t, r.p.addr(), opts(t, client.Padded, userHex(1), 2))
	reqPQ(t, gone)

	rotated := strings.Replace(fmt.Sprintf("[[user]]\nname = \"u0\"\nsecret = \"%s\"\n[[user]]\nname = \"u2\"\nsecret = \"%s\"\n[[user]]\nname = \"new\"\nsecret = \"%s\"\n",
		userHex(0), userHex(22), userHex(3)), "\n[[", "\n\n[[", -1)
	if err := atomicfile.Write(filepath.Join(dir, "users.toml"), []byte(rotated), 0o600); err != nil {
		t.Fatal(err)
	}
	r.p.signal(syscall.SIGHUP)
	// The new user and the rotated secret work; the old ones are refused.
	waitMetric(t, r.p, "mtproxy_users", map[string]string{"state": "active"}, 4) // u0, u2, new + SECRET
	reqPQ(t, dial(t, r.p.addr(), opts(t, client.Padded, userHex(3), 2)))
	reqPQ(t, dial(t, r.p.addr(), opts(t, client.Padded, userHex(22), 2)))
	before, _ := metric(t, r.p, "mtproxy_client_handshakes_total", handshakes("unknown", "bad_secret"))
	if c, err := client.Dial(bounded(t), r.p.addr(), opts(t, client.Padded, userHex(2), 2)); err == nil {
		c.Close()
	}
	waitMetric(t, r.p, "mtproxy_client_handshakes_total", handshakes("unknown", "bad_secret"), before+1)
	// The removed user's connection is closed after the 1s grace; u0's goes on.
	deadline := time.Now().Add(safety)
	for {
		if _, err := gone.ReqPQ(bounded(t)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the removed user's connection was not drained")
		}
		time.Sleep(100 * time.Millisecond)
	}
	reqPQ(t, stay)

	// A broken file: refused with one line, nothing changes.
	if err := atomicfile.Write(filepath.Join(dir, "users.toml"), []byte(rotated+"quota = \"lots\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.p.signal(syscall.SIGHUP)
	deadline = time.Now().Add(safety)
	for !strings.Contains(r.p.Stderr(), "users file refused; the previous users stay in force") {
		if time.Now().After(deadline) {
			t.Fatal("no refusal line for the broken file")
		}
		time.Sleep(50 * time.Millisecond)
	}
	reqPQ(t, dial(t, r.p.addr(), opts(t, client.Padded, userHex(3), 2)))
	reqPQ(t, stay)

	// A plain edit, no signal: fsnotify sees it. u0 gets a quota.
	edited := strings.Replace(rotated, "name = \"u0\"\n", "name = \"u0\"\nquota = \"1GiB\"\n", 1)
	if err := atomicfile.Write(filepath.Join(dir, "users.toml"), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(safety)
	for {
		if _, ok := metric(t, r.p, "mtproxy_secret_quota_used_bytes", map[string]string{"secret": "u0"}); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the edit was not applied")
		}
		reqPQ(t, stay)
		time.Sleep(100 * time.Millisecond)
	}
	reqPQ(t, stay)
	// The proxy counts a write once it returns, maybe after the client read
	// the answer: close the client and wait for its connection to end, so
	// that every byte is counted before the usage is read.
	stay.Close()
	waitMetric(t, r.p, "mtproxy_secret_connections_active", map[string]string{"secret": "u0"}, 0)
	used, _ := metric(t, r.p, "mtproxy_secret_quota_used_bytes", map[string]string{"secret": "u0"})
	if used == 0 {
		t.Fatal("u0 used nothing")
	}
	// Restart: the usage is saved on the way out and read back.
	r.p.signal(syscall.SIGTERM)
	if code := r.p.wait(safety); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	env := r.p.env
	p2 := start(t, env)
	p2.waitReady()
	// The admin API on INTERNAL_PORT tells u0's usage: a wrong token is
	// refused, the right one answers.
	req, _ := http.NewRequest("GET", p2.internal()+"/api/v1/users/u0", nil)
	req.Header.Set("Authorization", "Bearer wrong-token-0123456789")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %v %v", resp, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u struct {
		Usage struct{ Used uint64 }
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/v1/users/u0: %d %v", resp.StatusCode, err)
	}
	if u.Usage.Used != uint64(used) {
		t.Fatalf("after a restart u0 used %d bytes, want the %d it had", u.Usage.Used, uint64(used))
	}
}

// The admin API and page are served only to ADMIN_ALLOW, checked on the
// TCP peer before the token: from loopback, outside the list, even the
// right token gets a bare 404, while the probes stay open (loopback is in
// HEALTH_ALLOW's default).
func TestUsersAdminAllow(t *testing.T) {
	dir := t.TempDir()
	usersFile(t, dir, 1, "")
	const token = "e2e-admin-token-0123456789"
	r := startUsersRig(t, dir, func(env map[string]string) {
		env["ADMIN_TOKEN"] = token
		env["ADMIN_ALLOW"] = "192.0.2.0/24"
	})
	for _, path := range []string{"/api/v1/users", "/admin/", "/api/v1/openapi.json"} {
		req, _ := http.NewRequest("GET", r.p.internal()+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "" {
			t.Errorf("GET %s from outside ADMIN_ALLOW: %d, want a bare 404 (as every refused route of INTERNAL_PORT)", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(r.p.internal() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
}
