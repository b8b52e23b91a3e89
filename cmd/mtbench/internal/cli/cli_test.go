package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/load"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/secret"
	"github.com/mtproxy/mtproxy/testkit/client"
)

const eeSecret = "ee000102030405060708090a0b0c0d0e0f6578616d706c652e636f6d" // example.com

func configFor(t *testing.T, args ...string) (load.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f loadFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return f.config(procfs.FS{})
}

func TestFlagsToConfig(t *testing.T) {
	c, err := configFor(t, "-secret", eeSecret, "-conns", "64", "-bytes", "16MiB",
		"-direction", "down", "-ramp", "2s", "-label", "x/y")
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != client.FakeTLS || c.Secret.Domain != "example.com" || c.Workload != load.Transfer ||
		c.Direction != load.Down || c.Conns != 64 || c.Bytes != 16<<20 || c.Ramp != 2*time.Second ||
		c.Label != "x/y" || c.DC != 2 || !c.Verify || c.Chunk != load.DefaultChunk {
		t.Errorf("config %+v", c)
	}
	c, err = configFor(t, "-secret", "dd000102030405060708090a0b0c0d0e0f", "-handshakes", "-count", "100")
	if err != nil || c.Mode != client.Padded || c.Workload != load.Handshakes || c.Count != 100 {
		t.Errorf("dd handshakes: %+v %v", c, err)
	}
	c, err = configFor(t, "-secret", "000102030405060708090a0b0c0d0e0f", "-idle", "9900", "-probe", "echo")
	if err != nil || c.Mode != client.Intermediate || c.Workload != load.Idle || c.Conns != 9900 || c.Probe != load.ProbeEcho {
		t.Errorf("idle: %+v %v", c, err)
	}
	c, err = configFor(t, "-secret", eeSecret, "-mode", "abridged", "-echo", "-packet", "1024", "-dc", "-4")
	if err != nil || c.Mode != client.Abridged || c.Workload != load.Echo || c.Packet != 1024 || c.DC != -4 {
		t.Errorf("echo: %+v %v", c, err)
	}
	c, err = configFor(t, "-secret", eeSecret, "-domain", "other.org", "-handshakes")
	if err != nil || c.Secret.Domain != "other.org" {
		t.Errorf("-domain: %+v %v", c, err)
	}
}

func TestSecretsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets")
	if err := os.WriteFile(path, []byte(eeSecret+"\nee0f0e0d0c0b0a0908070605040302010"+"06578616d706c652e636f6d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := configFor(t, "-secrets-file", path, "-handshakes")
	if err != nil || len(c.Secrets) != 2 || c.Secret != c.Secrets[0] || c.Mode != client.FakeTLS || c.Secrets[1].Key[0] != 0x0f {
		t.Fatalf("%+v, %v", c, err)
	}
	c, err = configFor(t, "-secrets-file", path, "-handshakes", "-domain", "other.org")
	if err != nil || c.Secret.Domain != "other.org" || c.Secrets[1].Domain != "other.org" {
		t.Fatalf("-domain: %+v, %v", c, err)
	}
	if _, err := configFor(t, "-secrets-file", path, "-secret", eeSecret, "-handshakes"); !errors.Is(err, load.ErrConfig) {
		t.Errorf("both -secret and -secrets-file: %v", err)
	}
	if _, err := configFor(t, "-secrets-file", filepath.Join(t.TempDir(), "none"), "-handshakes"); err == nil {
		t.Error("a missing file accepted")
	}
}

func TestFlagsRejected(t *testing.T) {
	for _, c := range []struct {
		args []string
		want error
	}{
		{[]string{"-secret", "nothex"}, secret.ErrSecret},
		{[]string{"-secret", eeSecret, "-mode", "quic"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-direction", "sideways"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-handshakes", "-echo"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-handshakes", "-idle", "5"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-dc", "0"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-dc", "40000"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-probe", "ping"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-pid", "5", "-rss-port", "80"}, load.ErrConfig},
		{[]string{"-secret", eeSecret, "-rss-port", "70000"}, load.ErrConfig},
	} {
		if _, err := configFor(t, c.args...); !errors.Is(err, c.want) {
			t.Errorf("%v: err = %v, want %v", c.args, err, c.want)
		}
	}
}

// -rss-port finds the process listening there: this test process.
func TestRSSPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	c, err := configFor(t, "-secret", eeSecret, "-rss-port", port)
	if err != nil || c.PID != os.Getpid() {
		t.Errorf("pid %d, %v; want %d", c.PID, err, os.Getpid())
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "4096": 4096, "64K": 64 << 10, "64KiB": 64 << 10, "64kb": 64 << 10,
		"16MiB": 16 << 20, "16m": 16 << 20, "1G": 1 << 30, "2 GiB": 2 << 30, "1024G": 1 << 40, "7B": 7,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1", "-1M", "1.5M", "1T", "1025G", "99999999999999999999", "0x10", "1 M B"} {
		if _, err := ParseSize(in); !errors.Is(err, ErrSize) {
			t.Errorf("%q: %v, want ErrSize", in, err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1G", "4096", "16k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 || n > 1<<40 {
			t.Fatalf("%q -> %d out of range", s, n)
		}
		// The plain number it stands for parses to itself.
		if m, err := ParseSize(strconv.FormatInt(n, 10)); err != nil || m != n {
			t.Fatalf("%q -> %d -> %d, %v", s, n, m, err)
		}
	})
}

func TestMainUsage(t *testing.T) {
	var out, errOut strings.Builder
	ctx := context.Background()
	if code := Main(ctx, []string{"bogus"}, &out, &errOut); code != ExitUsage || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("bogus: %d %q", code, errOut.String())
	}
	if code := Main(ctx, []string{"-nosuchflag"}, &out, &errOut); code != ExitUsage {
		t.Errorf("bad flag: %d", code)
	}
	if code := Main(ctx, []string{"-h"}, &out, &errOut); code != ExitOK || !strings.Contains(errOut.String(), "-handshakes") {
		t.Errorf("-h: %d", code)
	}
	if code := Main(ctx, []string{"compare"}, &out, &errOut); code != ExitUsage {
		t.Errorf("compare without files: %d", code)
	}
	errOut.Reset()
	// A remote target is refused before anything is sent.
	if code := Main(ctx, []string{"-addr", "192.0.2.1:443", "-secret", eeSecret, "-handshakes"}, &out, &errOut); code != ExitFailure ||
		!strings.Contains(errOut.String(), "loopback") {
		t.Errorf("remote: %d %q", code, errOut.String())
	}
	// Secrets never appear in error output.
	errOut.Reset()
	Main(ctx, []string{"-secret", "ee00112233445566778899aabbccddeeff2f"}, &out, &errOut)
	if strings.Contains(errOut.String(), "00112233445566778899") {
		t.Errorf("secret leaked: %q", errOut.String())
	}
}

func TestFreePort(t *testing.T) {
	var out strings.Builder
	if code := Main(context.Background(), []string{"freeport", "-n", "3"}, &out, io.Discard); code != ExitOK {
		t.Fatal(code)
	}
	ports := strings.Fields(out.String())
	seen := map[string]bool{}
	for _, p := range ports {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 || seen[p] {
			t.Errorf("bad or repeated port %q in %v", p, ports)
		}
		seen[p] = true
	}
	if len(ports) != 3 {
		t.Errorf("ports %v", ports)
	}
}

// The whole binary path: a fake DC stub, then a load run against it
// directly (a DC is not a proxy, so the handshake fails: the run must say
// so as failures, exit 0 without -strict and 1 with it), JSON included.
func TestMainAgainstStub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"fakedc", "-mode", "packets"}, pw, io.Discard); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(strings.TrimSpace(line), "DC_ADDR=")
	for _, strict := range []bool{false, true} {
		args := []string{"-addr", addr, "-secret", eeSecret, "-handshakes", "-count", "2", "-conns", "1", "-timeout", "2s", "-json"}
		if strict {
			args = append(args, "-strict")
		}
		var out, errOut strings.Builder
		code := Main(context.Background(), args, &out, &errOut)
		if want := map[bool]int{false: ExitOK, true: ExitFailure}[strict]; code != want {
			t.Errorf("strict=%v: exit %d, want %d (%s)", strict, code, want, errOut.String())
		}
		var r report.Report
		if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out.String())
		}
		if r.OK != 0 || r.Failed != 2 || r.Workload != "handshakes" {
			t.Errorf("report %+v", r)
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if code := <-done; code != ExitOK {
		t.Errorf("fakedc exit %d", code)
	}
}
