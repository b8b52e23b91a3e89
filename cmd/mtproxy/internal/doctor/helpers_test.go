package doctor

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/freeport"
)

// testSecret is the client secret of most tests.
const testSecret = "0123456789abcdef0123456789abcdef"

// settings are every variable config.Load reads; each test starts with all
// of them blank (config.Load treats blank as unset), so the environment
// the tests run in cannot leak in.
func settings() []string {
	return []string{
		"SECRET", "SECRET_NAMES", "SECRET_COUNT", "SECRET_FILE", "TAG", "WORKERS", "MAX_CONNECTIONS", "DEBUG",
		"PROXY_SECRET_FILE", "PROXY_CONFIG_FILE", "IP", "INTERNAL_IP", "NAT_INFO", "PORT", "INTERNAL_PORT", "BIND",
		"TLS_DOMAIN", "TLS_ONLY", "FRONTING_ADDR", "DC_ADDRS", "PREFER_IP", "DIAL_TIMEOUT", "HANDSHAKE_TIMEOUT",
		"IDLE_TIMEOUT", "TIME_SKEW", "SHUTDOWN_TIMEOUT", "MODE", "DIRECT_FALLBACK", "DIRECT_FALLBACK_AFTER",
		"PROXY_SECRET_URL", "PROXY_CONFIG_URL",
		"CONFIG_REFRESH_INTERVAL", "STATS_ALLOW", "METRICS_ALLOW", "NTP_SERVERS", "IP_DETECT_URLS",
		"DC_PROBE_INTERVAL", "LOG_FORMAT", "LOG_LEVEL", "ARGS",
		"WEBPROXY_LISTEN", "WEBPROXY_HOST", "WEBPROXY_BASE_PATH", "WEBPROXY_SITE", "WEBPROXY_TRUSTED_PROXIES", "WEBPROXY_MODE",
	}
}

// env is a test's configuration.
type env map[string]string

// baseEnv is a closed loopback world: one secret, free ports, every DC at
// a fake DC that answers MTProto, Telegram's files, the NTP server and the IP
// look-ups at a port nobody listens on, caches in a fresh directory.
func baseEnv(t *testing.T) env {
	t.Helper()
	dir := t.TempDir()
	sink := fakedc.Start(t, fakedc.Options{}).Addr()
	var dcs []string
	for _, id := range []int{1, 2, 3, 4, 5, 203} {
		dcs = append(dcs, fmt.Sprintf("%d=%s", id, sink))
	}
	ports := freePorts(t, 3)
	closed := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2]))
	return env{
		"SECRET":            testSecret,
		"SECRET_FILE":       filepath.Join(dir, "secret"),
		"PROXY_SECRET_FILE": filepath.Join(dir, "proxy.secret"),
		"PROXY_CONFIG_FILE": filepath.Join(dir, "proxy.conf"),
		"PORT":              strconv.Itoa(ports[0]),
		"INTERNAL_PORT":     strconv.Itoa(ports[1]),
		"BIND":              "127.0.0.1",
		"DC_ADDRS":          strings.Join(dcs, ","),
		"PROXY_SECRET_URL":  "http://" + closed + "/getProxySecret",
		"PROXY_CONFIG_URL":  "http://" + closed + "/getProxyConfig",
		"NTP_SERVERS":       closed,
		"IP_DETECT_URLS":    "http://" + closed + "/ip",
	}
}

// apply sets the environment for the rest of the test.
func (e env) apply(t *testing.T) {
	t.Helper()
	for _, k := range settings() {
		t.Setenv(k, "")
	}
	for k, v := range e {
		t.Setenv(k, v)
	}
}

// testOptions keep a run on loopback and quick: the internal address is
// 10.0.0.5 (no IPv6 route), the IPv6 look-ups go nowhere.
func testOptions(t *testing.T) Options {
	closed := closedAddr(t)
	return Options{
		Timeout:     2 * time.Second,
		DetectURLs6: []string{"http://" + closed + "/ip6"},
		RouteProbe: func(_ context.Context, target netip.AddrPort) (netip.Addr, error) {
			if target.Addr().Is4() {
				return netip.MustParseAddr("10.0.0.5"), nil
			}
			return netip.Addr{}, errors.New("no route")
		},
	}
}

// newTestSession loads e as the proxy would and returns a session on it.
func newTestSession(t *testing.T, e env, o Options) *session {
	t.Helper()
	e.apply(t)
	l, err := loadConfig(nil)
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.withDefaults().Deadline())
	t.Cleanup(cancel)
	return newSession(ctx, l, o.withDefaults())
}

// diagnose runs Diagnose on e and returns the report.
func diagnose(t *testing.T, e env, o Options, args ...string) Report {
	t.Helper()
	e.apply(t)
	rep, err := Diagnose(context.Background(), args, o)
	if err != nil {
		t.Fatalf("Diagnose: %v", err)
	}
	return rep
}

// outcome returns the named check of rep.
func outcome(t *testing.T, rep Report, name string) Outcome {
	t.Helper()
	for _, o := range rep.Outcomes {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no check %q in the report", name)
	return Outcome{}
}

// want asserts a result's status and that its detail and notes contain
// every fragment.
func want(t *testing.T, r Result, st Status, fragments ...string) {
	t.Helper()
	text := r.Detail + "\n" + strings.Join(r.Notes, "\n")
	if r.Status != st {
		t.Errorf("status %v, want %v: %s", r.Status, st, text)
	}
	for _, f := range fragments {
		if !strings.Contains(text, f) {
			t.Errorf("%q missing from: %s", f, text)
		}
	}
}

// freePorts are n distinct loopback ports nobody listens on right now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports, err := freeport.GetN(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// freePort is a loopback port nobody listens on right now.
func freePort(t *testing.T) int { return freePorts(t, 1)[0] }

// closedAddr is a loopback address where connections are refused.
func closedAddr(t *testing.T) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
}

// acceptor listens on loopback, accepting and closing every connection:
// up as far as a connect test can tell, and nothing more.
func acceptor(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// proxySecretBytes is a getProxySecret file: 128 random bytes with a
// non-zero key selector.
func proxySecretBytes(t *testing.T) []byte {
	b := make([]byte, 128)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[0] |= 1
	return b
}

// writeFile writes a cache file and sets its modification time age ago.
func writeFile(t *testing.T, path string, b []byte, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// ntpTime is t as an NTP timestamp (era 0, from 1900-01-01).
func ntpTime(t time.Time) uint64 {
	d := t.Sub(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC))
	sec := uint64(d / time.Second)
	frac := uint64(d%time.Second) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// sntpServer answers SNTP requests on loopback UDP as a stratum 1 server
// whose clock runs skew ahead of ours (so we look skew behind), and
// returns its address.
func sntpServer(t *testing.T, skew time.Duration) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			now := time.Now().Add(skew)
			resp := make([]byte, 48)
			resp[0] = 0<<6 | 4<<3 | 4 // no leap warning, version 4, server
			resp[1] = 1               // stratum 1
			resp[2] = 4               // poll
			resp[3] = 0xec            // precision 2^-20
			copy(resp[12:16], "TEST") // reference id
			binary.BigEndian.PutUint64(resp[16:], ntpTime(now.Add(-time.Second)))
			copy(resp[24:32], buf[40:48]) // origin: the client's transmit time
			binary.BigEndian.PutUint64(resp[32:], ntpTime(now))
			binary.BigEndian.PutUint64(resp[40:], ntpTime(now))
			_, _ = pc.WriteTo(resp, from)
		}
	}()
	return pc.LocalAddr().String()
}
