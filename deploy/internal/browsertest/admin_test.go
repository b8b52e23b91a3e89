package browsertest

import (
	"context"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/mtproxy/mtproxy/links"
	"github.com/mtproxy/mtproxy/users"
)

// An operator's session on /admin/ in headless Chromium: a wrong token is
// refused, the right one is typed once and kept as an HttpOnly, Secure,
// SameSite=Strict cookie that is not the token; then a user is created,
// disabled and its secret rotated by clicking the page's buttons, each
// change visible on the page, in force in the registry and written to the
// users file. The QR code the page shows decodes to the tg:// link of the
// user's current secret, before and after the rotation. A second tab of
// the same browser is logged in without the token; logging out ends it.
// No page logs an error to the console but the refused login.
func TestAdminPageInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tab := browser(t, ctx)
	srv := startAdmin(t)
	shots := newArtefacts(t)
	console := watchConsole(tab)

	// Log in: a wrong token first.
	if err := chromedp.Do(tab, chromedp.Navigate(srv.url+"/admin/"), chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatal(err)
	}
	shots.page(tab, "login")
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token-0123456789")); err != nil {
		t.Fatal(err)
	}
	if code := submit(t, tab, "#login"); code != http.StatusUnauthorized {
		t.Fatalf("a wrong token answered %d, want 401", code)
	}
	if got := text(t, tab, "#error"); got != "Wrong token." {
		t.Fatalf("a wrong token shows %q", got)
	}
	shots.page(tab, "wrong-token")
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS("#token"), adminToken)); err != nil {
		t.Fatal(err)
	}
	if code := submit(t, tab, "#login"); code != http.StatusOK {
		t.Fatalf("logging in led to %d", code)
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("#user-alice"))); err != nil {
		t.Fatal(err)
	}
	checkSessionCookie(t, tab, srv)
	shots.page(tab, "list")

	// Create carol with a quota.
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS("#new-name"), "carol"),
		chromedp.SendKeys(chromedp.CSS("#new-quota"), "10GiB"),
	); err != nil {
		t.Fatal(err)
	}
	submit(t, tab, "#create-user")
	if got := text(t, tab, "#message"); got != "Created carol." {
		t.Fatalf("creating shows %q", got)
	}
	if state := attr(t, tab, "#user-carol", "data-state"); state != "active" {
		t.Fatalf("carol is %q on the page", state)
	}
	carol := srv.user(t, "carol")
	if !carol.Enabled || carol.Quota != 10<<30 || carol.Key == ([16]byte{}) {
		t.Fatalf("carol in force: %+v", carol.Spec)
	}
	inFile(t, srv, "carol", func(s users.Spec) bool { return s.Enabled && s.Key == carol.Key })
	shots.page(tab, "created")
	checkQR(t, tab, shots, "carol", carol.Key, "qr-carol")

	// Disable carol.
	submit(t, tab, "#user-carol button.disable")
	if got := text(t, tab, "#message"); got != "Disabled carol." {
		t.Fatalf("disabling shows %q", got)
	}
	if state := attr(t, tab, "#user-carol", "data-state"); state != "disabled" {
		t.Fatalf("carol is %q on the page after disabling", state)
	}
	if srv.user(t, "carol").Enabled {
		t.Fatal("carol is still enabled in the registry")
	}
	inFile(t, srv, "carol", func(s users.Spec) bool { return !s.Enabled })
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("#user-carol button.enable"))); err != nil {
		t.Fatal(err)
	}
	shots.page(tab, "disabled")

	// Rotate carol's secret: a new key in force and on disk, and the QR
	// code follows it.
	submit(t, tab, "#user-carol button.rotate")
	if got := text(t, tab, "#message"); !strings.HasPrefix(got, "New secret for carol") {
		t.Fatalf("rotating shows %q", got)
	}
	rotated := srv.user(t, "carol")
	if rotated.Key == carol.Key {
		t.Fatal("the secret did not change")
	}
	inFile(t, srv, "carol", func(s users.Spec) bool { return s.Key == rotated.Key })
	html, err := chromedp.Run(tab, chromedp.OuterHTML(chromedp.CSS("#user-carol")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, hex.EncodeToString(carol.Key[:])) || !strings.Contains(html, hex.EncodeToString(rotated.Key[:])) {
		t.Fatal("carol's row does not show the new secret's links only")
	}
	shots.page(tab, "rotated")
	checkQR(t, tab, shots, "carol", rotated.Key, "qr-carol-rotated")

	// The token was typed once: another tab of this browser is logged in.
	other, closeOther := chromedp.NewContext(tab)
	defer closeOther()
	if err := chromedp.Do(other, chromedp.Navigate(srv.url+"/admin/"), chromedp.WaitVisible(chromedp.CSS("#user-carol"))); err != nil {
		t.Fatalf("a second tab: %v", err)
	}
	shots.page(other, "second-tab")
	submit(t, other, "#logout")
	if err := chromedp.Do(other, chromedp.WaitVisible(chromedp.CSS("#token"))); err != nil {
		t.Fatalf("after logging out: %v", err)
	}
	shots.page(other, "logged-out")

	// The console has the refused login's 401 and, maybe, the browser's
	// own request for /favicon.ico (outside /admin/); nothing else.
	refused := 0
	for _, m := range console.messages() {
		switch {
		case m.Type == chromedp.ConsoleError && strings.HasSuffix(m.URL, "/admin/login") && strings.Contains(m.Text, "401"):
			refused++
		case m.Type == chromedp.ConsoleError && strings.HasSuffix(m.URL, "/favicon.ico"):
		case m.Type == chromedp.ConsoleError || m.IsException():
			t.Errorf("the page logged %s: %s (%s)", m.Type, m.Text, m.URL)
		}
	}
	if refused != 1 {
		t.Errorf("the console shows %d refused logins, want the one", refused)
	}
}

// checkSessionCookie checks the one cookie the login set.
func checkSessionCookie(t *testing.T, tab context.Context, srv *adminServer) {
	t.Helper()
	res, err := chromedp.Call(tab, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.url + "/admin/"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cookies) != 1 {
		t.Fatalf("%d cookies, want the session's", len(res.Cookies))
	}
	c := res.Cookies[0]
	if !c.HTTPOnly || !c.Secure || c.SameSite != network.CookieSameSiteStrict || c.Path != "/admin/" ||
		c.Value == "" || strings.Contains(c.Value, adminToken) {
		t.Fatalf("session cookie %s: HttpOnly %v, Secure %v, SameSite %q, path %q, holds the token %v",
			c.Name, c.HTTPOnly, c.Secure, c.SameSite, c.Path, strings.Contains(c.Value, adminToken))
	}
}

// checkQR decodes the QR code in name's row and compares it with the link
// the proxy gives for key: the FakeTLS tg:// link, the strongest form.
func checkQR(t *testing.T, tab context.Context, shots *artefacts, name string, key [16]byte, artefact string) {
	t.Helper()
	want := links.New(proxyHost, proxyPort, key, links.FakeTLS, tlsDomain).TG
	if got := shots.decodeQR(tab, chromedp.CSS("#user-"+name+" img.qr"), artefact); got != want {
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
