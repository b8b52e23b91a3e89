package middle

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/internal/atomicfile"
)

func TestNATPublicAddress(t *testing.T) {
	ip := netip.MustParseAddr
	full := natTable{ext4: ip("203.0.113.7"), ext6: ip("2001:db8::7"),
		mapping: map[netip.Addr]netip.Addr{ip("10.1.2.3"): ip("198.51.100.9"), ip("fd00::3"): ip("2001:db8::9")}}
	none := natTable{}
	for _, tc := range []struct {
		t     natTable
		local string
		want  string
	}{
		{full, "10.1.2.3", "198.51.100.9"},         // --nat-info wins
		{full, "::ffff:10.1.2.3", "198.51.100.9"},  // IPv4-mapped is IPv4
		{full, "fd00::3", "2001:db8::9"},           // IPv6 mapping
		{full, "10.9.9.9", "203.0.113.7"},          // private: ExternalIP
		{full, "192.168.1.10", "203.0.113.7"},      // private
		{full, "172.16.0.1", "203.0.113.7"},        // private
		{full, "100.64.0.1", "203.0.113.7"},        // CGNAT (RFC 6598)
		{full, "100.127.255.254", "203.0.113.7"},   // CGNAT upper end
		{full, "100.128.0.1", "100.128.0.1"},       // just outside CGNAT: public
		{full, "127.0.0.1", "203.0.113.7"},         // loopback
		{full, "169.254.1.1", "203.0.113.7"},       // link-local
		{full, "149.154.167.51", "149.154.167.51"}, // public: as is
		{full, "fd00::1", "2001:db8::7"},           // unique local: ExternalIP6
		{full, "fe80::1", "2001:db8::7"},           // link-local v6
		{full, "2a00:1450::1", "2a00:1450::1"},     // public v6
		{none, "10.1.2.3", "10.1.2.3"},             // nothing known: local
		{none, "::1", "::1"},
		{natTable{ext6: ip("2001:db8::7")}, "10.0.0.1", "10.0.0.1"}, // no IPv4 external: local
	} {
		if got := tc.t.public(ip(tc.local)); got != ip(tc.want) {
			t.Errorf("public(%s) = %s, want %s", tc.local, got, tc.want)
		}
	}
	ap := full.publicAddrPort(netip.MustParseAddrPort("10.9.9.9:4443"))
	if ap != netip.MustParseAddrPort("203.0.113.7:4443") {
		t.Errorf("publicAddrPort keeps the port: %s", ap)
	}
	o := Options{ExternalIP: ip("::ffff:203.0.113.7"), NAT: map[netip.Addr]netip.Addr{ip("::ffff:10.0.0.1"): ip("::ffff:1.2.3.4")}}
	if got := newNATTable(&o).public(ip("10.0.0.1")); got != ip("1.2.3.4") {
		t.Errorf("IPv4-mapped NAT options: %s", got)
	}
	if got := newNATTable(&o).public(ip("10.0.0.2")); got != ip("203.0.113.7") {
		t.Errorf("IPv4-mapped ExternalIP: %s", got)
	}
}

func TestOptionsValidation(t *testing.T) {
	ip := netip.MustParseAddr
	for _, tc := range []struct {
		name string
		o    Options
		want error
	}{
		{"min_over_max", Options{MinConnections: 5, MaxConnections: 4}, ErrMinMax},
		{"negative", Options{ClientQueueBytes: -1}, errNegativeOpt},
		{"external_ip_v6", Options{ExternalIP: ip("2001:db8::1")}, ErrExternalIP},
		{"external_ip6_v4", Options{ExternalIP6: ip("1.2.3.4")}, ErrExternalIP},
		{"external_ip6_mapped", Options{ExternalIP6: ip("::ffff:1.2.3.4")}, ErrExternalIP},
		{"nat_families", Options{NAT: map[netip.Addr]netip.Addr{ip("10.0.0.1"): ip("2001:db8::1")}}, ErrNATMapping},
		{"url_scheme", Options{ProxySecretURL: "ftp://core.telegram.org/getProxySecret"}, ErrURL},
		{"url_relative", Options{ProxyConfigURL: "/getProxyConfig"}, ErrURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.o); !errors.Is(err, tc.want) {
				t.Fatalf("New: %v, want %v", err, tc.want)
			}
		})
	}
	_, err := New(Options{ProxyConfigURL: "ftp://user:hunter2@example.com/x?token=hunter2"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("URL credentials in the error: %v", err)
	}
	m, err := New(Options{IPv6: true, MinConnections: 2})
	if err != nil {
		t.Fatal(err)
	}
	o := m.o
	if o.ProxyConfigURL != DefaultProxyConfigURLv6 || o.ProxySecretURL != DefaultProxySecretURL ||
		o.ConnClients != 256 || o.HandshakeTimeout != 3*time.Second || o.PingTimeout != 3*o.PingInterval ||
		o.ReconnectMin != time.Second || o.ReconnectMax != time.Minute || o.ClientQueueBytes != 2<<20 ||
		o.ReadyWait != 2*time.Second || o.RefreshInterval != time.Hour || o.PID == 0 {
		t.Errorf("defaults %+v", o)
	}
	if m, _ := New(Options{}); m.o.ProxyConfigURL != DefaultProxyConfigURL {
		t.Errorf("IPv4 config URL %s", m.o.ProxyConfigURL)
	}
	if m, _ := New(Options{ReconnectMin: 2 * time.Minute}); m.o.ReconnectMax != 2*time.Minute {
		t.Errorf("ReconnectMax %v below ReconnectMin", m.o.ReconnectMax)
	}
}

// The backoff after n failures lies in the upper half of ReconnectMin
// doubled n-1 times, capped at ReconnectMax.
func TestBackoffBounds(t *testing.T) {
	m, err := New(Options{ReconnectMin: 100 * time.Millisecond, ReconnectMax: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := newPool(m, t.Context())
	want := []time.Duration{100, 200, 400, 800, 1600, 3000, 3000, 3000}
	for i, w := range want {
		d := w * time.Millisecond
		lo, hi := d, time.Duration(0)
		for range 300 {
			b := p.backoff(i + 1)
			if b < d/2 || b > d {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", i+1, b, d/2, d)
			}
			lo, hi = min(lo, b), max(hi, b)
		}
		if hi-lo < d/8 {
			t.Errorf("backoff(%d) hardly jitters: %v..%v", i+1, lo, hi)
		}
	}
	if b := p.backoff(1000); b > 3*time.Second {
		t.Errorf("backoff(1000) = %v", b)
	}
}

// classifyPacket accepts what the official proxy forwards: encrypted
// messages of at least 56 bytes, and the unencrypted key exchange
// messages with a consistent length.
func TestClassifyPacket(t *testing.T) {
	plain := func(ctor uint32, inner, size int) []byte {
		p := make([]byte, size)
		binary.LittleEndian.PutUint64(p[8:], 0x5f00000000000004) // msg_id
		binary.LittleEndian.PutUint32(p[16:], uint32(inner))
		if size >= 24 {
			binary.LittleEndian.PutUint32(p[20:], ctor)
		}
		return p
	}
	enc := func(size int) []byte {
		p := make([]byte, size)
		p[3] = 1
		return p
	}
	for _, tc := range []struct {
		name            string
		p               []byte
		unencrypted, ok bool
	}{
		{"req_pq_multi", plain(0xbe7e8ef1, 20, 40), true, true},
		{"req_pq", plain(0x60469778, 20, 40), true, true},
		{"req_DH_params", plain(0xd712e4be, 320, 340), true, true},
		{"set_client_DH_params", plain(0xf5045f1f, 376, 396), true, true},
		{"other_plain", plain(0x12345678, 20, 40), true, false},
		{"plain_inner_too_long", plain(0xbe7e8ef1, 24, 40), true, false},
		{"plain_inner_too_short", plain(0xbe7e8ef1, 16, 40), true, false},
		{"plain_inner_negative", plain(0xbe7e8ef1, -4, 40), true, false},
		{"plain_padded_after", plain(0xbe7e8ef1, 20, 60), true, true},
		{"encrypted_min", enc(56), false, true},
		{"encrypted_short", enc(52), false, false},
		{"too_short", enc(24), false, false},
		{"not_words", enc(58), false, false},
		{"empty", nil, false, false},
	} {
		un, ok := classifyPacket(tc.p)
		if ok != tc.ok || (ok && un != tc.unencrypted) {
			t.Errorf("%s: (%v, %v), want (%v, %v)", tc.name, un, ok, tc.unencrypted, tc.ok)
		}
	}
}

// The cache is replaced atomically: the old file stays whole until the
// new one is complete, no temporary file is left, and failures say so.
func TestCacheFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "proxy.conf")
	if err := atomicfile.Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(p, []byte("two two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadCache(p, 100); err != nil || string(b) != "two two" {
		t.Fatalf("readCache: %q %v", b, err)
	}
	if _, err := ReadCache(p, 3); err == nil {
		t.Error("oversized cache accepted")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(ents))
	}
	if err := os.Chmod(dir, 0o500); err == nil && os.Getuid() != 0 {
		if err := atomicfile.Write(p, []byte("three"), 0o600); err == nil {
			t.Error("write into a read-only directory succeeded")
		}
		if b, _ := ReadCache(p, 100); string(b) != "two two" {
			t.Errorf("failed write altered the cache: %q", b)
		}
		_ = os.Chmod(dir, 0o700)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://core.telegram.org/getProxyConfig":           "https://core.telegram.org/getProxyConfig",
		"https://u:p@mirror.example/getProxyConfig?key=s#x":  "https://mirror.example/getProxyConfig",
		"http://[::1]:8080/getProxySecret":                   "http://[::1]:8080/getProxySecret",
		"://bad":                                             "(invalid URL)",
		"https://mirror.example/path?token=secret&other=yes": "https://mirror.example/path",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// StartError is one line, names each file, and unwraps to the causes.
func TestStartErrorMessage(t *testing.T) {
	cause := errors.New("dial tcp: connection\nrefused")
	se := &StartError{Files: []FileError{
		{File: FileSecret, URL: "https://core.telegram.org/getProxySecret", Fetch: cause, CacheErr: errNoCache},
		{File: FileConfig, URL: "https://core.telegram.org/getProxyConfig", Fetch: cause, Cache: "/var/lib/x.conf", CacheErr: os.ErrNotExist},
	}}
	msg := se.Error()
	for _, sub := range []string{"proxy secret: download from https://core.telegram.org/getProxySecret failed",
		"no cache file configured", "proxy config", "cache /var/lib/x.conf unusable", "connection refused"} {
		if !strings.Contains(msg, sub) {
			t.Errorf("message %q lacks %q", msg, sub)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message spans lines: %q", msg)
	}
	if !errors.Is(se, ErrUnavailable) || !errors.Is(se, os.ErrNotExist) || !errors.Is(se, cause) {
		t.Error("StartError does not match its causes")
	}
}
