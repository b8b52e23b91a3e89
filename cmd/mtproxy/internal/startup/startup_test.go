package startup

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	key1 = [16]byte{0x00, 0xba, 0xad, 0xf0, 0x0d, 0x15, 0xab, 0xad, 0x1d, 0xea, 0xa5, 0x15, 0xba, 0xad, 0xca, 0xfe}
	key2 = [16]byte{0x3f, 0x40, 0x46, 0x29, 0x15, 0xa3, 0xe6, 0x02, 0x6a, 0x4d, 0x79, 0x01, 0x27, 0xb9, 0x5d, 0xed}
)

func TestLinesGolden(t *testing.T) {
	cases := map[string]Input{
		"generated_no_tag": {
			Secrets:      []config.Secret{{Key: key1}},
			SecretSource: config.SecretsGenerated, SecretFile: "/data/secret", SecretFileSaved: true,
			ExternalIP: netip.MustParseAddr("203.0.113.7"), Port: 443, Mode: config.ModeAuto, Files: FilesDownloaded,
		},
		"auto_offline": {
			Secrets:      []config.Secret{{Key: key1}},
			SecretSource: config.SecretsGenerated, SecretFile: "/data/secret", SecretFileSaved: true,
			Port: 443, Mode: config.ModeAuto, Files: FilesNone,
		},
		"auto_cached_tag": {
			Secrets: []config.Secret{{Key: key1}}, SecretSource: config.SecretsFromEnv,
			Tag: key2, HasTag: true, ExternalIP: netip.MustParseAddr("203.0.113.7"), Port: 443,
			Mode: config.ModeAuto, Files: FilesCached,
		},
		"direct_forced": {
			Secrets: []config.Secret{{Key: key1}}, SecretSource: config.SecretsFromEnv,
			ExternalIP: netip.MustParseAddr("203.0.113.7"), Port: 443, Mode: config.ModeDirect,
		},
		"named_tag_tls": {
			Secrets:      []config.Secret{{Name: "alice", Key: key1}, {Name: "bob", Key: key2}},
			SecretSource: config.SecretsFromEnv,
			Tag:          [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}, HasTag: true,
			ExternalIP: netip.MustParseAddr("203.0.113.7"), Port: 8443, TLSDomain: "www.example.com",
			Mode: config.ModeMiddle,
		},
		"unknown_ip": {
			Secrets:      []config.Secret{{Key: key2}},
			SecretSource: config.SecretsFromFile, SecretFile: "/data/secret",
			Port: 443, Mode: config.ModeMiddle,
			Warnings: []config.Warning{"Bad tag format (TAG): should be 32 hex chars (for 16 bytes), got 3 characters; continuing without a tag"},
		},
		"webproxy": {
			Secrets:      []config.Secret{{Name: "alice", Key: key1}, {Key: key2}},
			SecretSource: config.SecretsFromEnv,
			ExternalIP:   netip.MustParseAddr("203.0.113.7"), Port: 443, TLSDomain: "www.example.com", TLSOnly: true,
			Mode: config.ModeAuto, Files: FilesDownloaded,
			WebProxy: config.WebProxy{Listen: "127.0.0.1:8080", Host: "proxy.example.com", Mode: "https"},
		},
		"webproxy_base_path": {
			Secrets:      []config.Secret{{Key: key1}},
			SecretSource: config.SecretsFromEnv,
			ExternalIP:   netip.MustParseAddr("203.0.113.7"), Port: 443, Mode: config.ModeAuto, Files: FilesDownloaded,
			WebProxy: config.WebProxy{Listen: ":8080", Host: "proxy.example.com", BasePath: "dobry-cola-super-app", Mode: "websocket"},
		},
		"ipv6_tls_only": {
			Secrets:      []config.Secret{{Key: key1}},
			SecretSource: config.SecretsGenerated, SecretFile: "/data/secret",
			ExternalIP: netip.MustParseAddr("2001:db8::7"), Port: 443, TLSDomain: "www.example.com", TLSOnly: true,
			Mode: config.ModeAuto, Files: FilesDownloaded,
			Warnings: []config.Warning{"SECRET_FILE /data/secret cannot be written (read-only file system); the generated secrets are used for this run only and will change on restart"},
		},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(Lines(in), "\n") + "\n"
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("Lines differ from %s:\n%s", path, got)
			}
		})
	}
}

func TestLinesSeedShape(t *testing.T) {
	lines := Lines(Input{Secrets: []config.Secret{{Key: key1}}, SecretSource: config.SecretsGenerated,
		ExternalIP: netip.MustParseAddr("198.51.100.1"), Port: 2443, Mode: config.ModeAuto, Files: FilesDownloaded})
	// The seed's lines, with the real port instead of 443.
	for _, want := range []string{
		"[+] No secret passed. Will generate 1 random ones.",
		"[*] Final configuration:",
		"[*]   Secret 1: 00baadf00d15abad1deaa515baadcafe",
		"[*]   tg:// link for secret 1 auto configuration: tg://proxy?server=198.51.100.1&port=2443&secret=dd00baadf00d15abad1deaa515baadcafe",
		"[*]   t.me link for secret 1: https://t.me/proxy?server=198.51.100.1&port=2443&secret=dd00baadf00d15abad1deaa515baadcafe",
		"[*]   Tag: no tag",
		"[*]   External IP: 198.51.100.1",
		"[*]   Make sure to fix the links in case you run the proxy on a different port.",
	} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("missing line %q in\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

func TestFatalLine(t *testing.T) {
	err := &config.Error{Var: "PORT", Problem: `"0" is not a port number (1-65535)`, Example: "PORT=443", Err: config.ErrInvalid}
	if got := FatalLine(err); got != `[F] PORT: "0" is not a port number (1-65535) (example: PORT=443)` {
		t.Errorf("got %q", got)
	}
	if got := FatalLine(errors.New("two\nlines\r\n")); got != "[F] two lines" {
		t.Errorf("got %q", got)
	}
}

func TestFromConfig(t *testing.T) {
	c := &config.Config{
		Secrets: []config.Secret{{Name: "a", Key: key1}}, SecretSource: config.SecretsFromFile,
		SecretFile: "/s", SecretFileSaved: true, Tag: key2, HasTag: true, Port: 1443,
		TLSDomain: "example.com", TLSOnly: true, Mode: config.ModeMiddle,
		WebProxy: config.WebProxy{Listen: ":8080", Host: "proxy.example.com"},
	}
	ip := netip.MustParseAddr("192.0.2.1")
	w := []config.Warning{"w"}
	got := FromConfig(c, ip, w)
	want := Input{Secrets: c.Secrets, SecretSource: config.SecretsFromFile, SecretFile: "/s", SecretFileSaved: true,
		Tag: key2, HasTag: true, ExternalIP: ip, Port: 1443, TLSDomain: "example.com", TLSOnly: true,
		Mode: config.ModeMiddle, Warnings: w, WebProxy: c.WebProxy}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
