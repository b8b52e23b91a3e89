package admin

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// With the WEB proxy on, a user's links start with the tg://webproxy and
// t.me/webproxy pair (the dd form, as the start-up log prints it), the
// page shows it, and its QR code carries it; the default QR code is still
// the strongest classic link. Without it, no such link.
func TestWebProxyLinks(t *testing.T) {
	for _, base := range []string{"", "tg/bridge"} {
		f := newFixture(t, Options{WebProxyHost: "web.example.com", WebProxyBasePath: base})
		key := [16]byte{9, 9, 9}
		want := wire.Links("web.example.com", base, key, wire.DD)
		if !strings.HasPrefix(want.TG, "tg://webproxy?server=web.example.com") {
			t.Fatalf("the link builder made %q", want.TG)
		}
		_, body := f.call("GET", "/api/v1/users/env/links", "")
		ls := decode[struct{ Links []linkJSON }](t, body).Links
		if len(ls) != 3 || ls[0] != (linkJSON{Form: "webproxy", Secret: want.Secret, TG: want.TG, TMe: want.TMe}) || ls[2].Form != "dd" {
			t.Fatalf("base %q: links %+v, want %+v first", base, ls, want)
		}
		if code, svg := f.call("GET", "/api/v1/users/env/qr.svg?form=webproxy", ""); code != 200 || decodeSVG(t, svg) != want.TG {
			t.Errorf("webproxy QR: %d", code)
		}
		if _, svg := f.call("GET", "/api/v1/users/env/qr.svg", ""); decodeSVG(t, svg) != ls[2].TG {
			t.Error("the default QR code is not the dd link any more")
		}
		// The page: logged in by cookie, as page_test does.
		c := browser(t)
		r := post(t, c, f.srv.URL+"/admin/login", url.Values{"token": {testToken}}, f.srv.URL)
		u, _ := url.Parse(f.srv.URL + "/admin/")
		c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: r.Cookies()[0].Value, Path: "/admin/"}})
		if code, page := get(t, c, f.srv.URL+"/admin/"); code != 200 || !strings.Contains(page, html.EscapeString(want.TMe)) {
			t.Errorf("the page (%d) has no %s", code, want.TMe)
		}
	}
	f := newFixture(t, Options{})
	_, body := f.call("GET", "/api/v1/users/env/links", "")
	if strings.Contains(body, "webproxy") {
		t.Errorf("links without WEBPROXY_HOST: %s", body)
	}
	if code, _ := f.call("GET", "/api/v1/users/env/qr.svg?form=webproxy", ""); code != http.StatusBadRequest {
		t.Errorf("webproxy QR without WEBPROXY_HOST: %d", code)
	}
}
