package browsertest

import (
	"bytes"
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
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/mtproxy/mtproxy/metrics"
	"github.com/mtproxy/mtproxy/status"
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
// mounts it, over a users file of one user ("alice").
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

// browser starts headless Chromium with a fresh profile and returns a
// context for one tab; the browser ends with the test. The test is skipped
// when Debian's chromium is not installed.
func browser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): the admin page's browser test needs it")
	}
	var out syncBuffer
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(&out),
	)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		if t.Failed() {
			t.Logf("chromium's output (without its D-Bus complaints):\n%s", withoutDBus(out.String()))
		}
	})
	// Start the browser now, so a broken installation fails here.
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v\n%s", err, out.String())
	}
	return tab
}

// withoutDBus drops the lines about the D-Bus a container lacks.
func withoutDBus(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "dbus") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// syncBuffer collects the browser's output from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
func (a *artefacts) page(ctx context.Context, name string) {
	a.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		a.t.Fatalf("screenshot %s: %v", name, err)
	}
	a.save(name+".png", png)
}

// decodeQR renders the element sel (a QR code) to PNG at four times its
// size, keeps the image, and decodes it with zbarimg.
func (a *artefacts) decodeQR(ctx context.Context, sel chromedp.CSS, name string) string {
	a.t.Helper()
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		a.t.Fatal("zbarimg is not installed (apt-get install zbar-tools): it decodes the QR codes the page shows")
	}
	png, err := chromedp.Run(ctx, chromedp.ScreenshotScale(sel, 4))
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
func submit(t *testing.T, ctx context.Context, sel chromedp.CSS) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel))
	if err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
	return resp.Status
}

// text returns the text of sel on the current page.
func text(t *testing.T, ctx context.Context, sel chromedp.CSS) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// attr returns the attribute of sel on the current page ("" without it).
func attr(t *testing.T, ctx context.Context, sel chromedp.CSS, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, name))
	if err != nil {
		t.Fatalf("reading %s's %s: %v", sel, name, err)
	}
	return v.Value
}

// consoleLog keeps every console message of a tab.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

// watchConsole collects the tab's console messages until the tab ends.
func watchConsole(tab context.Context) *consoleLog {
	l := &consoleLog{}
	msgs := chromedp.Console(tab)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.msgs = append(l.msgs, m)
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *consoleLog) messages() []chromedp.ConsoleMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), l.msgs...)
}
