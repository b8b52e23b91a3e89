package admin_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/links"
	"github.com/mtproxy/mtproxy/testkit/headless"
	"github.com/mtproxy/mtproxy/users"
)

// An operator's session on /admin/ in headless Chromium: a wrong token is
// refused, the right one is typed once and kept as an HttpOnly, Secure,
// SameSite=Strict cookie that is not the token; then a user is created,
// disabled and its secret rotated by clicking the page's buttons, each
// change visible on the page, in force in the registry and written to the
// users file. The QR code the page shows decodes (zbarimg) to the tg://
// link of the user's current secret, before and after the rotation. A
// second tab of the same browser is logged in without the token; logging
// out ends it. No page logs an error to the console but the refused login.
// Screenshots of each step are kept under MTPROXY_ARTIFACTS when set.
func TestAdminPageInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tab := headless.Start(t, "--window-size=1280,900")
	srv := startAdmin(t)
	shots := newArtefacts(t)
	do := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	do(tab.Enable(ctx))

	// Log in: a wrong token first.
	if _, err := tab.Navigate(ctx, srv.url+"/admin/"); err != nil {
		t.Fatal(err)
	}
	do(tab.WaitVisible(ctx, "#token"))
	shots.page(ctx, tab, "login")
	do(tab.Type(ctx, "#token", "not-the-token-0123456789"))
	if code := submit(t, ctx, tab, "#login"); code != http.StatusUnauthorized {
		t.Fatalf("a wrong token answered %d, want 401", code)
	}
	if got := text(t, ctx, tab, "#error"); got != "Wrong token." {
		t.Fatalf("a wrong token shows %q", got)
	}
	shots.page(ctx, tab, "wrong-token")
	do(tab.Type(ctx, "#token", adminToken))
	if code := submit(t, ctx, tab, "#login"); code != http.StatusOK {
		t.Fatalf("logging in led to %d", code)
	}
	do(tab.WaitVisible(ctx, "#user-alice"))
	checkSessionCookie(t, ctx, tab, srv)
	shots.page(ctx, tab, "list")

	// Create carol with a quota.
	do(tab.Type(ctx, "#new-name", "carol"))
	do(tab.Type(ctx, "#new-quota", "10GiB"))
	submit(t, ctx, tab, "#create-user")
	if got := text(t, ctx, tab, "#message"); got != "Created carol." {
		t.Fatalf("creating shows %q", got)
	}
	if state := attr(t, ctx, tab, "#user-carol", "data-state"); state != "active" {
		t.Fatalf("carol is %q on the page", state)
	}
	carol := srv.user(t, "carol")
	if !carol.Enabled || carol.Quota != 10<<30 || carol.Key == ([16]byte{}) {
		t.Fatalf("carol in force: %+v", carol.Spec)
	}
	inFile(t, srv, "carol", func(s users.Spec) bool { return s.Enabled && s.Key == carol.Key })
	shots.page(ctx, tab, "created")
	checkQR(t, ctx, tab, shots, "carol", carol.Key, "qr-carol")

	// Disable carol.
	submit(t, ctx, tab, "#user-carol button.disable")
	if got := text(t, ctx, tab, "#message"); got != "Disabled carol." {
		t.Fatalf("disabling shows %q", got)
	}
	if state := attr(t, ctx, tab, "#user-carol", "data-state"); state != "disabled" {
		t.Fatalf("carol is %q on the page after disabling", state)
	}
	if srv.user(t, "carol").Enabled {
		t.Fatal("carol is still enabled in the registry")
	}
	inFile(t, srv, "carol", func(s users.Spec) bool { return !s.Enabled })
	do(tab.WaitVisible(ctx, "#user-carol button.enable"))
	shots.page(ctx, tab, "disabled")

	// Rotate carol's secret: a new key in force and on disk, and the QR
	// code follows it.
	submit(t, ctx, tab, "#user-carol button.rotate")
	if got := text(t, ctx, tab, "#message"); !strings.HasPrefix(got, "New secret for carol") {
		t.Fatalf("rotating shows %q", got)
	}
	rotated := srv.user(t, "carol")
	if rotated.Key == carol.Key {
		t.Fatal("the secret did not change")
	}
	inFile(t, srv, "carol", func(s users.Spec) bool { return s.Key == rotated.Key })
	html, err := tab.OuterHTML(ctx, "#user-carol")
	do(err)
	if strings.Contains(html, hex.EncodeToString(carol.Key[:])) || !strings.Contains(html, hex.EncodeToString(rotated.Key[:])) {
		t.Fatal("carol's row does not show the new secret's links only")
	}
	shots.page(ctx, tab, "rotated")
	checkQR(t, ctx, tab, shots, "carol", rotated.Key, "qr-carol-rotated")

	// The token was typed once: another tab of this browser is logged in.
	other := tab.NewTab()
	do(other.Enable(ctx))
	if _, err := other.Navigate(ctx, srv.url+"/admin/"); err != nil {
		t.Fatalf("a second tab: %v", err)
	}
	do(other.WaitVisible(ctx, "#user-carol"))
	shots.page(ctx, other, "second-tab")
	submit(t, ctx, other, "#logout")
	do(other.WaitVisible(ctx, "#token"))
	shots.page(ctx, other, "logged-out")

	// The console has the refused login's 401 and, maybe, the browser's
	// own request for /favicon.ico (outside /admin/); nothing else.
	refused := 0
	for _, b := range []*headless.Browser{tab, other} {
		for _, e := range b.Events("Log.entryAdded") {
			var m struct {
				Entry struct{ Level, Text, URL string }
			}
			_ = json.Unmarshal(e.Params, &m)
			switch l := m.Entry; {
			case l.Level == "error" && strings.HasSuffix(l.URL, "/admin/login") && strings.Contains(l.Text, "401"):
				refused++
			case l.Level == "error" && strings.HasSuffix(l.URL, "/favicon.ico"):
			case l.Level == "error":
				t.Errorf("the page logged an error: %s (%s)", l.Text, l.URL)
			}
		}
		for _, e := range b.Events("Runtime.exceptionThrown") {
			t.Errorf("the page threw: %s", e.Params)
		}
		for _, e := range b.Events("Runtime.consoleAPICalled") {
			var m struct{ Type string }
			if json.Unmarshal(e.Params, &m) == nil && m.Type == "error" {
				t.Errorf("the page logged an error: %s", e.Params)
			}
		}
	}
	if refused != 1 {
		t.Errorf("the console shows %d refused logins, want the one", refused)
	}
}

// checkSessionCookie checks the one cookie the login set.
func checkSessionCookie(t *testing.T, ctx context.Context, tab *headless.Browser, srv *adminServer) {
	t.Helper()
	cs, err := tab.Cookies(ctx, srv.url+"/admin/")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d cookies, want the session's", len(cs))
	}
	c := cs[0]
	if !c.HTTPOnly || !c.Secure || c.SameSite != "Strict" || c.Path != "/admin/" ||
		c.Value == "" || strings.Contains(c.Value, adminToken) {
		t.Fatalf("session cookie %s: HttpOnly %v, Secure %v, SameSite %q, path %q, holds the token %v",
			c.Name, c.HTTPOnly, c.Secure, c.SameSite, c.Path, strings.Contains(c.Value, adminToken))
	}
}

// checkQR decodes the QR code in name's row and compares it with the link
// the proxy gives for key: the FakeTLS tg:// link, the strongest form.
func checkQR(t *testing.T, ctx context.Context, tab *headless.Browser, shots *artefacts, name string, key [16]byte, artefact string) {
	t.Helper()
	want := links.New(proxyHost, proxyPort, key, links.FakeTLS, tlsDomain).TG
	if got := shots.decodeQR(ctx, tab, "#user-"+name+" img.qr", artefact); got != want {
		t.Fatalf("%s's QR code says %q, want %q", name, got, want)
	}
}

// inFile checks the users file on disk holds name, as ok wants it.
func inFile(t *testing.T, srv *adminServer, name string, ok func(users.Spec) bool) {
	t.Helper()
	specs, err := users.LoadFile(srv.file)
	if err != nil {
		raw, _ := os.ReadFile(srv.file)
		t.Fatalf("the users file: %v\n%s", err, raw)
	}
	for _, s := range specs {
		if s.Name == name {
			if !ok(s) {
				t.Fatalf("the users file has %s as %+v", name, s)
			}
			return
		}
	}
	t.Fatalf("the users file has no %s", name)
}
