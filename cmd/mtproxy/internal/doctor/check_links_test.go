package doctor

import (
	"context"
	"strings"
	"testing"
)

func TestCheckLinks(t *testing.T) {
	e := baseEnv(t)
	e["SECRET"] = testSecret + ",00112233445566778899aabbccddeeff"
	e["SECRET_NAMES"] = "alice"
	e["IP"] = "203.0.113.7"
	e["TLS_DOMAIN"] = "www.example.com"
	s := newTestSession(t, e, testOptions(t))
	r := s.checkLinks(context.Background())
	port := e["PORT"]
	want(t, r, OK, "8 links for 2 secrets at 203.0.113.7:"+port,
		"secret 1 (alice): tg://proxy?server=203.0.113.7&port="+port+"&secret=dd"+testSecret,
		"secret 1 (alice): https://t.me/proxy?server=203.0.113.7&port="+port+"&secret=dd"+testSecret,
		"secret 2 FakeTLS: tg://proxy?server=203.0.113.7&port="+port+"&secret=ee00112233445566778899aabbccddeeff7777772e6578616d706c652e636f6d")
	if len(r.Notes) != 8 {
		t.Errorf("%d link lines, want 8: %q", len(r.Notes), r.Notes)
	}
}

// Without an external address the links carry the placeholder, and warn;
// TLS_ONLY leaves out the dd links the proxy would refuse.
func TestCheckLinksPlaceholderTLSOnly(t *testing.T) {
	e := baseEnv(t)
	e["TLS_DOMAIN"] = "www.example.com"
	e["TLS_ONLY"] = "true"
	s := newTestSession(t, e, testOptions(t))
	r := s.checkLinks(context.Background())
	want(t, r, Warn, "2 links for 1 secret with the placeholder host YOUR_SERVER_IP", "server=YOUR_SERVER_IP&port="+e["PORT"]+"&secret=ee"+testSecret)
	for _, n := range r.Notes {
		if strings.Contains(n, "secret=dd") {
			t.Errorf("dd link under TLS_ONLY: %s", n)
		}
	}
}

func TestCheckLinksHidden(t *testing.T) {
	e := baseEnv(t)
	e["IP"] = "2001:db8::7"
	o := testOptions(t)
	o.HideLinks = true
	s := newTestSession(t, e, o)
	r := s.checkLinks(context.Background())
	want(t, r, OK, "at [2001:db8::7]:"+e["PORT"], "tg://proxy?server=2001:db8::7&port="+e["PORT"]+"&secret=dd…")
	if strings.Contains(strings.Join(r.Notes, "\n"), testSecret) {
		t.Errorf("hidden links show the secret: %q", r.Notes)
	}
}

// With the WEB proxy carrier on, each secret also gets its webproxy links,
// hidden like the others with --hide-links.
func TestCheckLinksWebProxy(t *testing.T) {
	e := baseEnv(t)
	e["IP"] = "203.0.113.7"
	e["WEBPROXY_LISTEN"] = "127.0.0.1:8080"
	e["WEBPROXY_HOST"] = "proxy.example.com"
	s := newTestSession(t, e, testOptions(t))
	r := s.checkLinks(context.Background())
	want(t, r, OK, "4 links for 1 secret",
		"secret 1 WEB proxy: tg://webproxy?server=proxy.example.com&secret=dd"+testSecret,
		"secret 1 WEB proxy: https://t.me/webproxy?server=proxy.example.com&secret=dd"+testSecret)
	o := testOptions(t)
	o.HideLinks = true
	r = newTestSession(t, e, o).checkLinks(context.Background())
	if strings.Contains(strings.Join(r.Notes, "\n"), testSecret) {
		t.Errorf("hidden links show the secret: %q", r.Notes)
	}
}
