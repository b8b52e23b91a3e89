package headless_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/headless"
)

// The page helpers against a small site: a form typed into and submitted
// (a 401, then a 303 to a page that sets a cookie), text and attributes
// read, an element and the page screenshot at the asked size, the cookie's
// flags, and a second tab sharing the cookie.
func TestPageHelpers(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		who := "nobody"
		if c, err := r.Cookie("s"); err == nil {
			who = c.Value
		}
		fmt.Fprintf(w, `<!doctype html><p id="who" data-x="y">%s</p><div id="box" style="width:40px;height:30px;background:#000"></div>
<form method="post" action="/login"><input id="name" name="name"><button id="go">Go</button></form>`, who)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("name") != "alice" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "alice", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "http://localhost:" + port + "/" // a secure context: Secure cookies are kept

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := headless.Start(t, "--window-size=800,600")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Enable(ctx))
	if code, err := b.Navigate(ctx, url); err != nil || code != 200 {
		t.Fatalf("navigate: %d, %v", code, err)
	}
	must(b.WaitVisible(ctx, "#name"))
	must(b.Type(ctx, "#name", "mallory"))
	if code, err := b.Submit(ctx, "#go"); err != nil || code != http.StatusUnauthorized {
		t.Fatalf("a refused form: %d, %v", code, err)
	}
	if _, err := b.Navigate(ctx, url); err != nil {
		t.Fatal(err)
	}
	must(b.Type(ctx, "#name", "alice"))
	if code, err := b.Submit(ctx, "#go"); err != nil || code != 200 {
		t.Fatalf("a form redirected: %d, %v", code, err)
	}
	if s, err := b.Text(ctx, "#who"); err != nil || s != "alice" {
		t.Fatalf("text %q, %v", s, err)
	}
	if s, err := b.Attr(ctx, "#who", "data-x"); err != nil || s != "y" {
		t.Fatalf("attribute %q, %v", s, err)
	}
	if _, err := b.Text(ctx, "#missing"); err == nil {
		t.Fatal("no error for a missing element")
	}
	img, err := b.ScreenshotElement(ctx, "#box", 4)
	must(err)
	if m, err := png.Decode(bytes.NewReader(img)); err != nil || m.Bounds().Dx() != 160 || m.Bounds().Dy() != 120 {
		t.Fatalf("element screenshot: %v, %v", m.Bounds(), err)
	}
	page, err := b.Screenshot(ctx)
	must(err)
	if _, err := png.Decode(bytes.NewReader(page)); err != nil {
		t.Fatal(err)
	}
	cs, err := b.Cookies(ctx, url)
	must(err)
	if len(cs) != 1 || cs[0].Value != "alice" || !cs[0].HTTPOnly || !cs[0].Secure || cs[0].SameSite != "Strict" || cs[0].Path != "/" {
		t.Fatalf("cookies %+v", cs)
	}
	tab := b.NewTab()
	must(tab.Enable(ctx))
	if _, err := tab.Navigate(ctx, url); err != nil {
		t.Fatal(err)
	}
	if s, err := tab.Text(ctx, "#who"); err != nil || s != "alice" {
		t.Fatalf("the second tab: %q, %v", s, err)
	}
}
