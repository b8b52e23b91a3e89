package doctor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// runningProxy is what answers on INTERNAL_PORT.
type runningProxy struct {
	addr     string // host:port asked
	listens  bool   // a connection was made
	up       bool   // /healthz answered 200
	dialErr  error  // nothing listens (or cannot be reached)
	status   int    // /healthz status
	body     string // /healthz body, first line
	err      error  // connected, but /healthz failed
	stats    map[string]string
	statsErr error
}

// queryRunning asks a proxy already running here for /healthz and /stats
// on INTERNAL_PORT: at INTERNAL_BIND (BIND by default) when that is one
// address, else 127.0.0.1.
func (s *session) queryRunning() runningProxy {
	host := "127.0.0.1"
	if b := s.cfg.InternalBind; b.IsValid() && !b.IsUnspecified() {
		host = b.String()
	}
	rp := runningProxy{addr: net.JoinHostPort(host, strconv.Itoa(s.cfg.InternalPort))}
	status, body, err := s.get("http://" + rp.addr + "/healthz")
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		rp.dialErr = err
		return rp
	case err != nil:
		rp.listens, rp.err = true, err
		return rp
	}
	rp.listens, rp.status, rp.up = true, status, status == http.StatusOK
	rp.body, _, _ = strings.Cut(strings.TrimSpace(body), "\n")
	if !rp.up {
		return rp
	}
	status, body, err = s.get("http://" + rp.addr + "/stats")
	switch {
	case err != nil:
		rp.statsErr = err
	case status != http.StatusOK:
		rp.statsErr = fmt.Errorf("HTTP %d", status)
	default:
		rp.stats = parseStats(body)
	}
	return rp
}

// get fetches a small page within one timeout.
func (s *session) get(url string) (int, string, error) {
	ctx, cancel := s.timeout(s.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		return 0, "", httpErr(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b), err
}

// parseStats reads the official "key\tvalue" lines.
func parseStats(body string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "\t"); ok && k != "" {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// checkRunning reports a running proxy: skipped when none runs here,
// failed when something on INTERNAL_PORT does not say it is healthy.
func (s *session) checkRunning(context.Context) Result {
	rp := s.running()
	switch {
	case !rp.listens:
		return skipf("no proxy answers on %s (%s)", rp.addr, oneLine(rp.dialErr))
	case rp.err != nil:
		return failf("%s accepted a connection but /healthz failed: %s", rp.addr, oneLine(rp.err))
	case !rp.up:
		r := failf("%s/healthz answered HTTP %d", rp.addr, rp.status)
		if rp.body != "" {
			r.Detail += ": " + rp.body
		}
		if rp.status == http.StatusNotFound {
			return r.note("a proxy that does not let this address read /healthz (HEALTH_ALLOW, by default METRICS_ALLOW), or another program on INTERNAL_PORT")
		}
		return r.note("an unhealthy proxy, or another program on INTERNAL_PORT")
	}
	r := okf("healthy on %s", rp.addr)
	if rp.statsErr != nil {
		return r.note(fmt.Sprintf("/stats: %s (STATS_ALLOW must include the address asking; a refused one gets 404)", oneLine(rp.statsErr)))
	}
	st := rp.stats
	var parts []string
	if v := st["version"]; v != "" {
		parts = append(parts, "version "+v)
	}
	if v := st["uptime"]; v != "" {
		parts = append(parts, "uptime "+v+"s")
	}
	if v := st["total_special_connections"]; v != "" {
		c := v + " client connections"
		if m := st["total_max_special_connections"]; m != "" {
			c = v + " of " + m + " client connections"
		}
		parts = append(parts, c)
	}
	for _, k := range []string{"ready_targets", "active_targets"} {
		if v := st[k]; v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	if len(parts) > 0 {
		r.Detail += ": " + strings.Join(parts, ", ")
	}
	if fps := topFingerprints(st); len(fps) > 0 {
		r = r.note("client hello fingerprints (JA4, hellos, authenticated): " + strings.Join(fps, "; "))
	}
	return r
}

// maxFingerprintsShown bounds the client hello fingerprints the report
// names.
const maxFingerprintsShown = 5

// topFingerprints reads the most frequent client hello fingerprints from
// /stats (client_hello_ja4_1 ..), "none" ranks left out.
func topFingerprints(st map[string]string) []string {
	var out []string
	for i := 1; i <= maxFingerprintsShown; i++ {
		v := st["client_hello_ja4_"+strconv.Itoa(i)]
		if v == "" || v == "none" {
			break
		}
		out = append(out, v)
	}
	return out
}
