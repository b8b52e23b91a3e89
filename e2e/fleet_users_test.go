package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
)

// fleetUsers starts two proxies sharing a redis-server and one users file
// (as a ConfigMap would give it to every replica), each with its own usage
// file and the admin API on.
func fleetUsers(t *testing.T, users string) *fleet {
	t.Helper()
	dir := t.TempDir()
	usersFile(t, dir, 0, users)
	return startFleet(t, 2, func(env map[string]string) {
		env["USERS_FILE"] = filepath.Join(dir, "users.toml")
		env["USERS_STATE_FILE"] = filepath.Join(dir, "usage-"+env["PORT"]+".json")
		env["USERS_DRAIN_GRACE"] = "1s"
		env["ADMIN_TOKEN"] = adminToken
	})
}

const adminToken = "fleet-admin-token-0123456789"

// refusedOn dials p as the user of secret hex and waits until p counts one
// more refusal for reason.
func refusedOn(t *testing.T, p *proc, hex, reason string, n float64) {
	t.Helper()
	cl, err := client.Dial(bounded(t), p.addr(), opts(t, client.Padded, hex, 2))
	if err == nil {
		cl.Close()
	}
	waitCount(t, p, "mtproxy_users_rejections_total", map[string]string{"reason": reason}, n)
}

// A quota used up through replica A is refused on replica B, and a quota
// reset on B through the admin API frees it on A: the usage is the
// fleet's.
func TestFleetQuotaAcrossReplicas(t *testing.T) {
	f := fleetUsers(t, fmt.Sprintf(`
[[user]]
name = "small"
secret = "%s"
quota = "100B"
quota_period = "day"
`, userHex(3)))
	a, b := f.p[0], f.p[1]
	reqPQ(t, dial(t, a.addr(), opts(t, client.Padded, userHex(3), 2)))
	waitMetric(t, a, "mtproxy_secret_quota_used_bytes", map[string]string{"secret": "small"}, 100)
	// B learns the fleet's total within a flush or two (B has no traffic
	// of its own for the user, so no series: its admin API says).
	waitUsed(t, b, "small", func(used uint64) bool { return used >= 100 })
	refusedOn(t, b, userHex(3), "quota", 1)

	code, body := admin(t, b, http.MethodPost, "/api/v1/users/small/reset-quota")
	if code != http.StatusOK {
		t.Fatalf("reset-quota on B: %d %s", code, body)
	}
	waitUsed(t, a, "small", func(used uint64) bool { return used < 100 })
	reqPQ(t, dial(t, a.addr(), opts(t, client.Padded, userHex(3), 2)))
}

// waitUsed polls the admin API of p until the user's quota usage
// satisfies ok.
func waitUsed(t *testing.T, p *proc, name string, ok func(uint64) bool) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		code, body := admin(t, p, http.MethodGet, "/api/v1/users/"+name)
		var u struct {
			Usage struct {
				Used uint64 `json:"used"`
			} `json:"usage"`
		}
		if code == http.StatusOK && json.Unmarshal([]byte(body), &u) == nil && ok(u.Usage.Used) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's usage on %s: %d %s", name, p.addr(), code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// max_connections 1 holds across both replicas: B refuses the user's
// second connection while A holds the first, and takes one once A's has
// closed.
func TestFleetConnectionLimitAcrossReplicas(t *testing.T) {
	f := fleetUsers(t, fmt.Sprintf(`
[[user]]
name = "one"
secret = "%s"
max_connections = 1
`, userHex(4)))
	a, b := f.p[0], f.p[1]
	first := dial(t, a.addr(), opts(t, client.Padded, userHex(4), 2))
	reqPQ(t, first)
	refusedOn(t, b, userHex(4), "max_connections", 1)
	refusedOn(t, a, userHex(4), "max_connections", 1)
	reqPQ(t, first) // still served
	first.Close()
	deadline := time.Now().Add(safety)
	for {
		cl, err := client.Dial(bounded(t), b.addr(), opts(t, client.Padded, userHex(4), 2))
		if err == nil {
			_, err = cl.ReqPQ(bounded(t))
			cl.Close()
			if err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("B never admitted the user after A's connection closed")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// In a fleet the users file is the source of truth: the admin API reads
// but does not edit it (409, saying why).
func TestFleetAdminReadOnly(t *testing.T) {
	f := fleetUsers(t, fmt.Sprintf("[[user]]\nname = \"u\"\nsecret = \"%s\"\n", userHex(5)))
	if code, body := admin(t, f.p[0], http.MethodGet, "/api/v1/users/u"); code != http.StatusOK {
		t.Fatalf("reading a user: %d %s", code, body)
	}
	for _, c := range []struct{ method, path string }{
		{http.MethodPost, "/api/v1/users/u/rotate"},
		{http.MethodDelete, "/api/v1/users/u"},
	} {
		code, body := admin(t, f.p[0], c.method, c.path)
		if code != http.StatusConflict || !strings.Contains(body, "STATE_URL") {
			t.Errorf("%s %s: %d %s, want 409 naming STATE_URL", c.method, c.path, code, body)
		}
	}
}

// admin calls the admin API of p with the token.
func admin(t *testing.T, p *proc, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(bounded(t), method, p.internal()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// Quota usage counted while the store is down is not lost: when the store
// comes back (empty), the replicas reseed the fleet's totals with their
// own, and a quota used up through A during the outage is refused by B.
func TestFleetQuotaReconciledAfterOutage(t *testing.T) {
	f := fleetUsers(t, fmt.Sprintf(`
[[user]]
name = "small"
secret = "%s"
quota = "100B"
quota_period = "day"
`, userHex(3)))
	a, b := f.p[0], f.p[1]
	f.redis.Kill()
	reqPQ(t, dial(t, a.addr(), opts(t, client.Padded, userHex(3), 2))) // served on local state
	waitMetric(t, a, "mtproxy_secret_quota_used_bytes", map[string]string{"secret": "small"}, 100)
	waitMetric(t, a, "mtproxy_state_unsynced_bytes", map[string]string{}, 100)
	refusedOn(t, a, userHex(3), "quota", 1) // A's own count holds

	f.redis.Restart()
	waitMetric(t, a, "mtproxy_state_health", map[string]string{"state": "up"}, 1)
	waitUsed(t, b, "small", func(used uint64) bool { return used >= 100 })
	refusedOn(t, b, userHex(3), "quota", 1)
	waitMetricAtMost(t, a, "mtproxy_state_unsynced_bytes", map[string]string{}, 0)
}
