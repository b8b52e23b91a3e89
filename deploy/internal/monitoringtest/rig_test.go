package monitoringtest

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/otlpreceiver"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
	"go.yaml.in/yaml/v3"
)

// The integration proxy's secrets (named alice and bob), a secret it does
// not have, and its FakeTLS domain (served by a local tlsfront).
const (
	aliceHex    = "0123456789abcdef0123456789abcdef"
	bobHex      = "fedcba9876543210fedcba9876543210"
	strangerHex = "00112233445566778899aabbccddeeff"
	frontDomain = "front.example"
)

func secretKey(t testing.TB, s string) [16]byte {
	t.Helper()
	var k [16]byte
	if n, err := hex.Decode(k[:], []byte(s)); err != nil || n != len(k) {
		t.Fatalf("bad test secret %q", s)
	}
	return k
}

// proxyRig is the real binary in direct mode in front of a fake DC, with
// fronting to a local TLS site and traces exported to a local receiver.
type proxyRig struct {
	proc     *process
	addr     string // client port
	internal string // host:port of /metrics
	dc       *fakedc.DC
	traces   *otlpreceiver.Receiver
}

// startProxyRig builds and starts the proxy and waits for /healthz.
func startProxyRig(t *testing.T, ctx context.Context) *proxyRig {
	t.Helper()
	bin := buildProxy(t)
	r := &proxyRig{dc: fakedc.Start(t, fakedc.Options{}), traces: otlpreceiver.Start(t)}
	front := tlsfront.Start(t, frontDomain)
	var dcs []string
	for _, id := range []int{1, 2, 3, 4, 5, 203, -1, -2, -3, -4, -5, -203} {
		dcs = append(dcs, fmt.Sprintf("%d=%s", id, r.dc.Addr()))
	}
	port, internal := freePort(t), freePort(t)
	r.addr = fmt.Sprintf("127.0.0.1:%d", port)
	r.internal = fmt.Sprintf("127.0.0.1:%d", internal)
	dir := t.TempDir()
	env := map[string]string{
		"PORT":              itoa(port),
		"INTERNAL_PORT":     itoa(internal),
		"BIND":              "127.0.0.1",
		"MODE":              "direct",
		"SECRET":            aliceHex + "," + bobHex,
		"SECRET_NAMES":      "alice,bob",
		"SECRET_FILE":       filepath.Join(dir, "secret"),
		"PROXY_SECRET_FILE": filepath.Join(dir, "proxy.secret"),
		"PROXY_CONFIG_FILE": filepath.Join(dir, "proxy.conf"),
		"DC_ADDRS":          strings.Join(dcs, ","),
		"DC_PROBE_INTERVAL": "1s",
		"TLS_DOMAIN":        front.Domain(),
		"FRONTING_ADDR":     front.Addr(),
		"IP":                "127.0.0.1",
		"IP_DETECT_URLS":    "http://127.0.0.1:1/ip",
		"NTP_SERVERS":       "127.0.0.1:1",
		"METRICS_ALLOW":     "127.0.0.0/8",
		"LOG_FORMAT":        "json",
		// Every connection traced, exported at once, so exemplars can be
		// followed to their spans.
		"OTEL_EXPORTER_OTLP_ENDPOINT": r.traces.GRPCEndpoint(),
		"OTEL_TRACES_SAMPLER":         "always_on",
		"OTEL_BSP_SCHEDULE_DELAY":     "200",
	}
	r.proc = startProcess(t, "mtproxy", bin, env)
	waitFor(t, ctx, "the proxy's /healthz", []*process{r.proc}, func() error {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		status, _, err := httpGet(c, "http://"+r.internal+"/healthz")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("HTTP %d", status)
		}
		return err
	})
	return r
}

// traffic is what pushTraffic did, for the checks to expect.
type traffic struct {
	ok   int            // successful handshakes
	held []*client.Conn // connections left open until the test ends
}

// pushTraffic sends real clients through the proxy, every transport with
// both secrets and a req_pq round trip each, leaves one connection per
// transport open, and adds one handshake of each refused kind.
func pushTraffic(t *testing.T, ctx context.Context, r *proxyRig) traffic {
	t.Helper()
	var tr traffic
	t.Cleanup(func() {
		for _, c := range tr.held {
			c.Close()
		}
	})
	modes := []client.Mode{client.Abridged, client.Intermediate, client.Padded, client.FakeTLS}
	var accepted *client.Conn
	for i, secret := range []string{aliceHex, bobHex} {
		for j, mode := range modes {
			dc := []int16{2, -2, 4, 1}[j]
			c, err := client.Dial(ctx, r.addr, client.Options{Secret: secretKey(t, secret), Mode: mode, DC: dc, Domain: frontDomain})
			if err != nil {
				t.Fatalf("%v with secret %d: %v", mode, i, err)
			}
			if _, err := c.ReqPQ(ctx); err != nil {
				c.Close()
				t.Fatalf("%v with secret %d: req_pq through the proxy: %v", mode, i, err)
			}
			tr.ok++
			switch {
			case i == 0:
				tr.held = append(tr.held, c)
				if mode == client.FakeTLS {
					accepted = c
				}
			default:
				c.Close()
			}
		}
	}
	refused := map[string][]byte{
		"bad_secret": handshakeBytes(t, client.Options{Secret: secretKey(t, strangerHex), Mode: client.Intermediate}),
		"bad_sni":    handshakeBytes(t, client.Options{Secret: secretKey(t, aliceHex), Mode: client.FakeTLS, Domain: "other.example"}),
		"stale_timestamp": handshakeBytes(t, client.Options{Secret: secretKey(t, aliceHex), Mode: client.FakeTLS,
			Domain: frontDomain, Timestamp: time.Now().Add(-time.Hour)}),
		"replay": accepted.Handshake().Hello,
	}
	for result, payload := range refused {
		if _, err := client.Probe(ctx, r.addr, payload, 300*time.Millisecond, 1<<16); err != nil {
			t.Fatalf("%s probe: %v", result, err)
		}
	}
	return tr
}

// handshakeBytes is what a client of o sends first: the FakeTLS hello, or
// the obfuscated2 header.
func handshakeBytes(t testing.TB, o client.Options) []byte {
	t.Helper()
	h, err := client.NewHandshake(o)
	if err != nil {
		t.Fatal(err)
	}
	if h.Hello != nil {
		return h.Hello
	}
	return h.Header[:]
}

// startPrometheus runs Debian's Prometheus with the shipped prometheus.yml
// adapted to the test: scrape and evaluate every second, the repository's
// rule files, the proxy as the target of job mtproxy, no Alertmanager.
func startPrometheus(t *testing.T, ctx context.Context, bin, target string) promAPI {
	t.Helper()
	data, err := os.ReadFile(repoPath(t, "deploy", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	cfg["rule_files"] = []string{repoPath(t, "deploy", "prometheus", "rules", "*.rules.yml")}
	delete(cfg, "alerting")
	var jobs []any
	for _, j := range cfg["scrape_configs"].([]any) {
		job := j.(map[string]any)
		if job["job_name"] == "mtproxy" {
			job["static_configs"] = []any{map[string]any{"targets": []string{target}}}
			jobs = append(jobs, job)
		}
	}
	if len(jobs) != 1 {
		t.Fatal("the shipped prometheus.yml has no job mtproxy")
	}
	cfg["scrape_configs"] = jobs
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, out, 0o644); err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProcess(t, "prometheus", bin, nil,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen,
		"--enable-feature=exemplar-storage",
		"--log.level=warn",
	)
	api := promAPI{base: "http://" + listen}
	waitFor(t, ctx, "Prometheus ready", []*process{p}, func() error {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		status, _, err := httpGet(c, api.base+"/-/ready")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("HTTP %d", status)
		}
		return err
	})
	return api
}
