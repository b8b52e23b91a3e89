package e2e

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every bad input is one clear line naming the variable, what is wrong and
// an example, and a non-zero exit, before anything listens.
func TestBadInputFailsClearly(t *testing.T) {
	good := "0123456789abcdef0123456789abcdef"
	seventeen := strings.TrimSuffix(strings.Repeat(good+",", 17), ",")
	cases := []struct {
		name, key, value, mention string
	}{
		{"short secret", "SECRET", "abc", "SECRET"},
		{"non-hex secret", "SECRET", "0123456789abcdef0123456789abcdeg", "SECRET"},
		{"17 secrets", "SECRET", seventeen, "SECRET"},
		{"secret count 0", "SECRET_COUNT", "0", "SECRET_COUNT"},
		{"secret count 17", "SECRET_COUNT", "17", "SECRET_COUNT"},
		{"port not a number", "PORT", "abc", "PORT"},
		{"port out of range", "PORT", "70000", "PORT"},
		{"internal port out of range", "INTERNAL_PORT", "0", "INTERNAL_PORT"},
		{"malformed DC_ADDRS", "DC_ADDRS", "2=localhost", "DC_ADDRS"},
		{"DC_ADDRS without port", "DC_ADDRS", "2=127.0.0.1", "DC_ADDRS"},
		{"bad workers", "WORKERS", "-1", "WORKERS"},
		{"bad mode", "MODE", "fast", "MODE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := baseEnv(t)
			env[c.key] = c.value
			code, stdout, stderr := runOnce(t, env)
			if code == 0 {
				t.Fatalf("exit 0 for %s=%q", c.key, c.value)
			}
			out := strings.TrimSpace(stderr)
			if ls := lines(out); len(ls) != 1 {
				t.Fatalf("want one line, got %d:\n%s", len(ls), out)
			}
			if !strings.HasPrefix(out, "[F]") || !strings.Contains(out, c.mention) || !strings.Contains(out, "example") {
				t.Fatalf("message does not name %s with an example: %s", c.mention, out)
			}
			if strings.Contains(stdout, "Final configuration") {
				t.Fatal("printed a configuration despite the error")
			}
		})
	}
}

// A bad TAG is a warning, as in the seed; the proxy still starts.
func TestBadTagWarns(t *testing.T) {
	env := baseEnv(t)
	env["TAG"] = "nothex"
	p := start(t, env)
	p.waitReady()
	if !strings.Contains(p.Stdout(), "[!]") || !strings.Contains(p.Stdout(), "TAG") {
		t.Fatalf("no [!] warning about TAG:\n%s", p.Stdout())
	}
	if strings.Contains(p.Stdout(), "nothex") {
		t.Fatal("the bad tag value is echoed")
	}
}

// An unwritable SECRET_FILE is a warning, not a crash.
func TestUnwritableSecretFileWarns(t *testing.T) {
	env := baseEnv(t)
	env["SECRET_FILE"] = "/proc/mtproxy-cannot-write-here/secret"
	p := start(t, env)
	p.waitReady()
	if !strings.Contains(p.Stdout(), "[!]") || !strings.Contains(p.Stdout(), "SECRET_FILE") {
		t.Fatalf("no warning about SECRET_FILE:\n%s", p.Stdout())
	}
}

var linkRE = regexp.MustCompile(`tg://proxy\?server=([^&]+)&port=(\d+)&secret=dd([0-9a-f]{32})`)

// Generated secrets persist in SECRET_FILE and are reused at the next start.
func TestGeneratedSecretPersists(t *testing.T) {
	env := baseEnv(t)
	env["SECRET_COUNT"] = "2"
	first := start(t, env)
	first.waitReady()
	m := linkRE.FindAllStringSubmatch(first.Stdout(), -1)
	if len(m) != 2 {
		t.Fatalf("want 2 dd links, got %d:\n%s", len(m), first.Stdout())
	}
	if m[0][1] != "127.0.0.1" || m[0][2] != env["PORT"] {
		t.Fatalf("link has server %s port %s, want 127.0.0.1 and PORT %s", m[0][1], m[0][2], env["PORT"])
	}
	if !strings.Contains(first.Stdout(), "t.me/proxy?server=127.0.0.1&port="+env["PORT"]) {
		t.Fatalf("no t.me link:\n%s", first.Stdout())
	}
	first.signal(syscall.SIGTERM)
	if code := first.wait(15 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	saved, err := os.ReadFile(env["SECRET_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m {
		if !strings.Contains(string(saved), s[3]) {
			t.Fatalf("secret %s… not saved in SECRET_FILE", s[3][:4])
		}
	}
	if fi, _ := os.Stat(env["SECRET_FILE"]); fi.Mode().Perm() != 0o600 {
		t.Fatalf("SECRET_FILE mode %v, want 0600", fi.Mode().Perm())
	}

	env["PORT"], env["INTERNAL_PORT"] = strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t))
	second := start(t, env)
	second.waitReady()
	m2 := linkRE.FindAllStringSubmatch(second.Stdout(), -1)
	if len(m2) != 2 || m2[0][3] != m[0][3] || m2[1][3] != m[1][3] {
		t.Fatal("the second start did not reuse the saved secrets")
	}
}

// With no network the proxy starts anyway: unknown external IP, a warning
// and links with a placeholder host.
func TestStartsWithoutExternalIP(t *testing.T) {
	env := baseEnv(t)
	delete(env, "IP")
	p := start(t, env)
	p.waitReady()
	out := p.Stdout()
	if !strings.Contains(out, "server=YOUR_SERVER_IP") || !strings.Contains(out, "[!]") {
		t.Fatalf("want a warning and placeholder links:\n%s", out)
	}
}

// FakeTLS: ee links carry the domain in hex.
func TestFakeTLSLinks(t *testing.T) {
	env := baseEnv(t)
	env["TLS_DOMAIN"] = "example.com"
	env["SECRET"] = "0123456789abcdef0123456789abcdef"
	p := start(t, env)
	p.waitReady()
	want := "secret=ee0123456789abcdef0123456789abcdef" + "6578616d706c652e636f6d"
	if !strings.Contains(p.Stdout(), want) {
		t.Fatalf("no ee link %s:\n%s", want, p.Stdout())
	}
	if !strings.Contains(p.Stdout(), "secret=dd0123456789abcdef0123456789abcdef") {
		t.Fatal("dd links must still be printed")
	}
	if strings.Count(p.Stderr(), "0123456789abcdef0123456789abcdef") != 0 {
		t.Fatal("a secret leaked into the logs")
	}
}

// The official mtproto-proxy flags keep working, in ARGS too.
func TestOfficialFlags(t *testing.T) {
	env := baseEnv(t)
	port := env["PORT"]
	delete(env, "PORT")
	env["ARGS"] = "-M 2"
	p := start(t, env, "-H", port, "-S", "0123456789abcdef0123456789abcdef")
	env["PORT"] = port
	p.waitReady()
	if !strings.Contains(p.Stdout(), "secret=dd0123456789abcdef0123456789abcdef") {
		t.Fatalf("-S not honoured:\n%s", p.Stdout())
	}
	if !strings.Contains(p.Stdout(), "port="+port) {
		t.Fatalf("-H not honoured:\n%s", p.Stdout())
	}
}

func TestSecretFileIsHonoured(t *testing.T) {
	env := baseEnv(t)
	if err := os.WriteFile(env["SECRET_FILE"], []byte("00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, env)
	p.waitReady()
	if !strings.Contains(p.Stdout(), "secret=dd00112233445566778899aabbccddeeff") {
		t.Fatalf("SECRET_FILE not used:\n%s", p.Stdout())
	}
}
