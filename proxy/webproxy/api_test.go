package webproxy_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/webclient"
)

// req is one raw request to the carrier.
type req struct {
	method, path string
	header       http.Header
	body         []byte
}

func (r *rig) do(t *testing.T, q req) *webclient.Response {
	t.Helper()
	resp, err := webclient.Do(ctxT(t), webclient.Options{}, q.method, r.srv.URL+q.path, q.body, q.header)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// The bridge page: headers, one nonce'd inline script, the bootstrap
// literal, and a token that makes a session.
func TestBridgePage(t *testing.T) {
	r := newRig(t, rigOpts{})
	page, h, boot, err := webclient.Bootstrap(ctxT(t), r.client(0, wire.DD))
	if err != nil {
		t.Fatal(err)
	}
	csp := h.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
	if nonce == nil {
		t.Fatalf("CSP without a script nonce: %s", csp)
	}
	for _, want := range []string{"connect-src 'self' wss://" + testHost + ";", "frame-ancestors http://127.0.0.1:*;", "sandbox allow-same-origin allow-scripts"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: %v", h)
	}
	if n := strings.Count(string(page), "<script"); n != 1 || !strings.Contains(string(page), `<script nonce="`+nonce[1]+`">`) {
		t.Errorf("%d scripts, or not under the CSP's nonce", n)
	}
	if !strings.Contains(string(page), `bootstrap="`+boot+`"`) || len(boot) != 43 {
		t.Errorf("bootstrap literal %q", boot)
	}
	for _, want := range []string{`"mode":"https"`, `"maxFrames":4096`, `"maxBytes":2097152`, `"origin":"https://` + testHost + `"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page config lacks %s", want)
		}
	}
	_, _, boot2, _ := webclient.Bootstrap(ctxT(t), r.client(0, wire.DD))
	if boot2 == boot {
		t.Error("two pages got the same bootstrap token")
	}
	s1, err := webclient.Create(ctxT(t), r.client(0, wire.DD), boot)
	if err != nil {
		t.Fatal(err)
	}
	// A retry of the creation gets the same session; the token is
	// consumed idempotently.
	s2, err := webclient.Create(ctxT(t), r.client(0, wire.DD), boot)
	if err != nil || s2.Token != s1.Token {
		t.Fatalf("retry: %v, %v vs %v", err, s2, s1)
	}
	if r.obs.get(func(o *recObserver) int { return o.opened }) != 1 || r.obs.get(func(o *recObserver) int { return o.pages }) != 2 {
		t.Error("observer counts")
	}
}

// Base path: v2 capabilities under /P/, the API there too; v1 at the root
// is nobody's business.
func TestBasePath(t *testing.T) {
	r := newRig(t, rigOpts{options: func(o *webproxy.Options) { o.BasePath = "dobry-cola-super-app" }})
	mux, _, err := webclient.Connect(ctxT(t), r.client(0, wire.DD))
	if err != nil {
		t.Fatal(err)
	}
	mux.Close()
	v1 := wire.Capability(wire.SecretBytes(r.keys[0], wire.DD), testHost, "")
	if resp := r.do(t, req{method: "GET", path: "/?bridge=" + v1}); string(resp.Body) != siteBody {
		t.Errorf("a v1 capability at the root: %d %q", resp.StatusCode, resp.Body)
	}
}

// Unauthentic and malformed requests get the public site; those carrying
// an authentic capability or token in a non-canonical way get a bare 404.
// None of the answers names the proxy.
func TestUnauthenticAndMalformed(t *testing.T) {
	r := newRig(t, rigOpts{})
	capDD := wire.Capability(wire.SecretBytes(r.keys[0], wire.DD), testHost, "")
	other := wire.Capability(wire.SecretBytes(randKey(), wire.DD), testHost, "")
	wrongHost := wire.Capability(wire.SecretBytes(r.keys[0], wire.DD), "other.example.com", "")
	_, _, boot, err := webclient.Bootstrap(ctxT(t), r.client(0, wire.DD))
	if err != nil {
		t.Fatal(err)
	}
	_, _, boot2, _ := webclient.Bootstrap(ctxT(t), r.client(1, wire.Plain))
	s, err := webclient.Create(ctxT(t), r.client(0, wire.DD), boot2)
	if err != nil {
		t.Fatal(err)
	}
	random := strings.Repeat("A", 43)
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	octet := func(h http.Header) http.Header { h.Set("Content-Type", "application/octet-stream"); return h }
	const site, notFound = 1, 2
	cases := []struct {
		name string
		q    req
		want int
	}{
		{"root", req{method: "GET", path: "/"}, site},
		{"a page of the site", req{method: "GET", path: "/about.html"}, site},
		{"unknown capability", req{method: "GET", path: "/?bridge=" + other}, site},
		{"capability of another host", req{method: "GET", path: "/?bridge=" + wrongHost}, site},
		{"capability too short", req{method: "GET", path: "/?bridge=" + capDD[:42]}, site},
		{"capability padded", req{method: "GET", path: "/?bridge=" + capDD + "="}, site},
		{"garbage query", req{method: "GET", path: "/?bridge=%zz"}, site},
		{"API without a token", req{method: "POST", path: "/api/v1/up", body: []byte{1}}, site},
		{"API with a random bearer", req{method: "POST", path: "/api/v1/session", header: octet(bearer(random)), body: wire.Hello()}, site},
		{"down with a random bearer", req{method: "POST", path: "/api/v1/down", header: bearer(random)}, site},
		{"socket with a random protocol", req{method: "GET", path: "/api/v1/ws", header: http.Header{"Sec-WebSocket-Protocol": {"tproxy-v1." + random}}}, site},
		{"unknown API route", req{method: "GET", path: "/api/v1/nothing"}, site},
		{"basic auth", req{method: "GET", path: "/admin", header: http.Header{"Authorization": {"Basic YWRtaW46YWRtaW4="}}}, site},

		{"capability with another parameter", req{method: "GET", path: "/?bridge=" + capDD + "&x=1"}, notFound},
		{"capability twice", req{method: "GET", path: "/?bridge=" + capDD + "&bridge=" + capDD}, notFound},
		{"capability after another parameter", req{method: "GET", path: "/?x=1&bridge=" + capDD}, notFound},
		{"capability on another path", req{method: "GET", path: "/index.html?bridge=" + capDD}, notFound},
		{"capability with POST", req{method: "POST", path: "/?bridge=" + capDD}, notFound},
		{"capability with HEAD", req{method: "HEAD", path: "/?bridge=" + capDD}, notFound},
		{"capability escaped", req{method: "GET", path: "/?%62ridge=" + capDD}, notFound},
		{"bootstrap on up", req{method: "POST", path: "/api/v1/up", header: octet(bearer(boot)), body: []byte{}}, notFound},
		{"bootstrap with a query", req{method: "POST", path: "/api/v1/session?x", header: octet(bearer(boot)), body: wire.Hello()}, notFound},
		{"bootstrap with a cookie", req{method: "POST", path: "/api/v1/session", header: func() http.Header { h := octet(bearer(boot)); h.Set("Cookie", "a=b"); return h }(), body: wire.Hello()}, notFound},
		{"bootstrap as text", req{method: "POST", path: "/api/v1/session", header: func() http.Header { h := bearer(boot); h.Set("Content-Type", "text/plain"); return h }(), body: wire.Hello()}, notFound},
		{"session token on the site", req{method: "GET", path: "/", header: bearer(s.Token)}, notFound},
		{"session token on a page", req{method: "GET", path: "/x", header: bearer(s.Token)}, notFound},
		{"down with a body", req{method: "POST", path: "/api/v1/down", header: octet(bearer(s.Token)), body: []byte{1}}, notFound},
		{"down with two Authorizations", req{method: "POST", path: "/api/v1/down", header: http.Header{"Authorization": {"Bearer " + s.Token, "Bearer " + s.Token}}}, notFound},
		{"socket of an https session", req{method: "GET", path: "/api/v1/ws", header: http.Header{"Sec-WebSocket-Protocol": {"tproxy-v1." + s.Token}}}, notFound},
		{"GET of the session", req{method: "GET", path: "/api/v1/session", header: bearer(s.Token)}, notFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := r.site.count()
			resp := r.do(t, c.q)
			switch c.want {
			case site:
				if resp.StatusCode != 200 || (c.q.method != "HEAD" && string(resp.Body) != siteBody) || r.site.count() != before+1 {
					t.Errorf("got %d %q, want the public site", resp.StatusCode, resp.Body)
				}
			case notFound:
				if resp.StatusCode != 404 || len(resp.Body) != 0 || resp.Header.Get("Cache-Control") != "no-store" || r.site.count() != before {
					t.Errorf("got %d %q %v, want a bare 404 with no-store", resp.StatusCode, resp.Body, resp.Header)
				}
			}
			var all bytes.Buffer
			_ = resp.Header.Write(&all)
			all.Write(resp.Body)
			notContains(t, "the answer", all.String(), "proxy", "telegram", "tproxy", "mtproto", "bridge", "session", "websocket")
		})
	}
}

// Without a site, unauthentic requests get an empty 404.
func TestNoSiteIsBare404(t *testing.T) {
	r := newRig(t, rigOpts{options: func(o *webproxy.Options) { o.Site = nil }})
	for _, path := range []string{"/", "/x", "/api/v1/up", "/?bridge=" + strings.Repeat("A", 43)} {
		resp := r.do(t, req{method: "GET", path: path})
		if resp.StatusCode != 404 || len(resp.Body) != 0 {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Body)
		}
	}
}

var _ = context.Background
