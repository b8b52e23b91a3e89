package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/metrics"
	"github.com/mtproxy/mtproxy/status"
	"github.com/mtproxy/mtproxy/testkit/headless"
	"github.com/mtproxy/mtproxy/users"
	"github.com/mtproxy/mtproxy/users/admin"
	"go.uber.org/zap/zaptest"
)

// The admin server's settings: its token, the proxy address and FakeTLS
// domain its links carry, and the static secret (SECRET) it lists.
const (
	adminToken = "browser-test-token-0123456789"
	proxyHost  = "203.0.113.7"
	proxyPort  = 443
	tlsDomain  = "front.example"
)

var envKey = [16]byte{0x5e, 0xc7, 0xe7}

// adminServer is the admin handler on a status server, as the binary
// mounts it on INTERNAL_PORT, over a users file of one user ("alice").
// The browser reaches it at http://localhost, which Chromium treats as a
// secure context, so the page's Secure session cookie is kept.
type adminServer struct {
	url  string // http://localhost:port
	reg  *users.Registry
	file string
}

func startAdmin(t *testing.T) *adminServer {
	t.Helper()
	file := filepath.Join(t.TempDir(), "users.toml")
	if err := os.WriteFile(file, []byte("[[user]]\nname = \"alice\"\nsecret = \"0123456789abcdef0123456789abcdef\"\nquota = \"1GiB\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := zaptest.NewLogger(t)
	reg := users.New(users.Options{Logger: log})
	mgr := users.NewManager(reg, file, []users.Spec{{Name: "env", Key: envKey, Enabled: true}}, log)
	if err := mgr.Load(); err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(admin.Options{Manager: mgr, Registry: reg, Token: adminToken,
		Host: proxyHost, Port: proxyPort, TLSDomain: tlsDomain, Logger: log.Named("admin")})
	if err != nil {
		t.Fatal(err)
	}
	srv := status.New(metrics.New(metrics.Options{}), status.Options{})
	srv.Handle("/api/", h, status.LoopbackPrefixes())
	srv.Handle("/admin/", h, status.LoopbackPrefixes())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("the admin server ended with %v", err)
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &adminServer{url: "http://localhost:" + port, reg: reg, file: file}
}

// user returns the user in force by name, failing the test without it.
func (s *adminServer) user(t *testing.T, name string) users.Status {
	t.Helper()
	st, ok := s.reg.User(name)
	if !ok {
		t.Fatalf("no user %q in force", name)
	}
	return st
}

// artefacts is where a test keeps its screenshots: MTPROXY_ARTIFACTS/<test>
// when the variable is set, else a temporary directory.
type artefacts struct {
	t   *testing.T
	dir string
	n   int
}

func newArtefacts(t *testing.T) *artefacts {
	t.Helper()
	dir := t.TempDir()
	if root := os.Getenv("MTPROXY_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, "browsertest", regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &artefacts{t: t, dir: dir}
}

// save writes one artefact, numbered in the order of the steps, and logs
// its path.
func (a *artefacts) save(name string, data []byte) string {
	a.t.Helper()
	a.n++
	path := filepath.Join(a.dir, fmt.Sprintf("%02d-%s", a.n, name))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		a.t.Fatal(err)
	}
	a.t.Logf("artefact: %s", path)
	return path
}

// page screenshots the whole page (PNG).
func (a *artefacts) page(ctx context.Context, b *headless.Browser, name string) {
	a.t.Helper()
	png, err := b.Screenshot(ctx)
	if err != nil {
		a.t.Fatalf("screenshot %s: %v", name, err)
	}
	a.save(name+".png", png)
}

// decodeQR renders the element sel (a QR code) to PNG at four times its
// size, keeps the image, and decodes it with zbarimg.
func (a *artefacts) decodeQR(ctx context.Context, b *headless.Browser, sel, name string) string {
	a.t.Helper()
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		a.t.Fatal("zbarimg is not installed (apt-get install zbar-tools): it decodes the QR codes the page shows")
	}
	png, err := b.ScreenshotElement(ctx, sel, 4)
	if err != nil {
		a.t.Fatalf("screenshot of %s: %v", sel, err)
	}
	path := a.save(name+".png", png)
	out, err := exec.CommandContext(ctx, zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
	if err != nil {
		a.t.Fatalf("zbarimg found no QR code in %s: %v", path, err)
	}
	return strings.TrimRight(string(out), "\n")
}

// submit clicks sel, a form's submit button, and waits for the page the
// form's answer (a redirect) leads to; it returns that page's status.
func submit(t *testing.T, ctx context.Context, b *headless.Browser, sel string) int {
	t.Helper()
	code, err := b.Submit(ctx, sel)
	if err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
	return code
}

// text returns the text of sel on the current page.
func text(t *testing.T, ctx context.Context, b *headless.Browser, sel string) string {
	t.Helper()
	s, err := b.Text(ctx, sel)
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// attr returns the attribute of sel on the current page ("" without it).
func attr(t *testing.T, ctx context.Context, b *headless.Browser, sel, name string) string {
	t.Helper()
	v, err := b.Attr(ctx, sel, name)
	if err != nil {
		t.Fatalf("reading %s's %s: %v", sel, name, err)
	}
	return v
}
