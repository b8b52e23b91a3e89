package admin

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// browser is a cookie-keeping client that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values, origin string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func TestPageLoginCSRFAndShare(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	f := newFixture(t, Options{Logger: zap.New(core)})
	c := browser(t)
	// Not logged in: the login form, and actions are refused.
	if code, body := get(t, c, f.srv.URL+"/admin/"); code != 200 || !strings.Contains(body, `name="token"`) {
		t.Fatalf("login page: %d", code)
	}
	if r := post(t, c, f.srv.URL+"/admin/users", url.Values{"name": {"x"}}, ""); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("create without a session: %d", r.StatusCode)
	}
	if r := post(t, c, f.srv.URL+"/admin/login", url.Values{"token": {"wrong-token-0123456789"}}, ""); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", r.StatusCode)
	}
	r := post(t, c, f.srv.URL+"/admin/login", url.Values{"token": {testToken}}, f.srv.URL)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	ck := r.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || !ck[0].Secure || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Value == testToken {
		t.Fatalf("cookie %+v", ck)
	}
	// httptest serves http: the jar would not send a Secure cookie, so
	// send it by hand as a browser on a secure context does.
	u, _ := url.Parse(f.srv.URL + "/admin/")
	c.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: ck[0].Value, Path: "/admin/"}})
	code, body := get(t, c, f.srv.URL+"/admin/")
	m := csrfField.FindStringSubmatch(body)
	if code != 200 || m == nil || !strings.Contains(body, `id="user-env"`) {
		t.Fatalf("index: %d", code)
	}
	csrf := m[1]
	// A form without the CSRF token, or from another origin, is refused.
	if r := post(t, c, f.srv.URL+"/admin/users", url.Values{"name": {"x"}}, ""); r.StatusCode != http.StatusForbidden {
		t.Fatalf("no csrf: %d", r.StatusCode)
	}
	if r := post(t, c, f.srv.URL+"/admin/users", url.Values{"name": {"x"}, "csrf": {csrf}}, "https://evil.example"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin: %d", r.StatusCode)
	}
	// Create, disable, rotate through the forms.
	form := url.Values{"csrf": {csrf}, "name": {"dana"}, "quota": {"1GiB"}, "quota_period": {"day"}, "expires": {"2031-05-06"}}
	if r := post(t, c, f.srv.URL+"/admin/users", form, f.srv.URL); r.StatusCode != http.StatusSeeOther || strings.Contains(r.Header.Get("Location"), "error") {
		t.Fatalf("create: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	st, ok := f.reg.User("dana")
	if !ok || st.Quota != 1<<30 || st.Expires.Format("2006-01-02") != "2031-05-06" {
		t.Fatalf("created %+v", st)
	}
	_, body = get(t, c, f.srv.URL+"/admin/")
	share := regexp.MustCompile(`href="(/admin/share/dana/[0-9a-f]+)"`).FindStringSubmatch(body)
	if share == nil {
		t.Fatal("no share link")
	}
	anon := browser(t)
	if code, body := get(t, anon, f.srv.URL+share[1]); code != 200 || !strings.Contains(body, "secret=dd") || strings.Contains(body, "user-env") {
		t.Fatalf("share page: %d", code)
	}
	if r := post(t, c, f.srv.URL+"/admin/users/dana/disable", url.Values{"csrf": {csrf}}, ""); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.StatusCode)
	}
	if st, _ := f.reg.User("dana"); st.Enabled {
		t.Fatal("not disabled")
	}
	if r := post(t, c, f.srv.URL+"/admin/users/dana/rotate", url.Values{"csrf": {csrf}}, ""); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d", r.StatusCode)
	}
	if st2, _ := f.reg.User("dana"); st2.Key == st.Key {
		t.Fatal("not rotated")
	}
	// Rotation revokes the share URL.
	if code, _ := get(t, anon, f.srv.URL+share[1]); code != http.StatusNotFound {
		t.Fatalf("share page after rotation: %d", code)
	}
	// Nothing secret was logged: no token, no session, no share signature, no key.
	st, _ = f.reg.User("dana")
	secrets := []string{testToken, ck[0].Value, csrf, share[1][len("/admin/share/dana/"):], hexString(st.Key[:])}
	n := 0
	for _, e := range logs.All() {
		if e.Message == "admin request" {
			n++
		}
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + strings.ReplaceAll(strings.TrimSpace(strings.Join(strings.Fields(strings.TrimSpace(toString(v))), " ")), "\n", "")
		}
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Fatalf("a secret in the log: %s", line)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d requests logged", n)
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
