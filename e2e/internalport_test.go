package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A peer outside the allow lists gets a bare 404 from every route of
// INTERNAL_PORT, the probes included (HEALTH_ALLOW follows METRICS_ALLOW):
// nothing names the proxy or Telegram (/readyz answered a stranger
// "telegram: none of the ... DCs is reachable"). HEALTH_ALLOW opens the
// probes alone.
func TestInternalPortStranger(t *testing.T) {
	for _, health := range []string{"", "127.0.0.1/32"} {
		env := baseEnv(t)
		env["SECRET"] = secret1Hex
		env["STATS_ALLOW"], env["METRICS_ALLOW"] = "10.0.0.0/8", "10.0.0.0/8"
		env["DC_ADDRS"] = "2=127.0.0.1:1" // unreachable: /readyz has reasons to give
		env["HEALTH_ALLOW"] = health
		p := start(t, env)
		eventually(t, "the internal port answering", func() bool {
			running(t, p)
			resp, err := http.Get(p.internal() + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && strings.Contains(p.Stdout(), "Final configuration")
		})
		refused := []string{"/stats", "/metrics", "/nothing"}
		if health == "" {
			refused = append(refused, "/healthz", "/readyz")
		}
		for _, path := range refused {
			resp, err := http.Get(p.internal() + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound || len(b) != 0 || resp.Header.Get("Content-Type") != "" {
				t.Errorf("HEALTH_ALLOW=%q: %s from a stranger: %s %q %q, want a bare 404", health, path, resp.Status, resp.Header.Get("Content-Type"), b)
			}
		}
		if health != "" {
			if code, _ := get(t, p.internal()+"/healthz"); code != http.StatusOK {
				t.Errorf("/healthz with HEALTH_ALLOW: %d", code)
			}
			if code, body := get(t, p.internal()+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "telegram") {
				t.Errorf("/readyz with HEALTH_ALLOW: %d %q, want the reasons", code, body)
			}
		}
		p.cmd.Process.Kill()
		p.wait(30 * time.Second)
	}
}
