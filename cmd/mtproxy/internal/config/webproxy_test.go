package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWebProxy(t *testing.T) {
	dir := t.TempDir()
	c, w := mustLoad(t, map[string]string{
		"WEBPROXY_LISTEN": "127.0.0.1:8080", "WEBPROXY_HOST": "proxy.example.com", "WEBPROXY_SITE": dir + "/",
	})
	if len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
	wp := c.WebProxy
	if !wp.Enabled() || wp.Listen != "127.0.0.1:8080" || wp.Host != "proxy.example.com" || !wp.SiteDir || wp.Site != filepath.Clean(dir) || wp.Mode != "https" {
		t.Errorf("got %+v", wp)
	}
	c, _ = mustLoad(t, nil, "--webproxy-listen", ":8080", "--webproxy-host", "proxy.example.com")
	if c.WebProxy.Listen != ":8080" {
		t.Errorf("flag: %+v", c.WebProxy)
	}
	_, w = mustLoad(t, map[string]string{"WEBPROXY_HOST": "proxy.example.com"})
	if len(w) != 1 || !strings.Contains(string(w[0]), "WEBPROXY_LISTEN") {
		t.Errorf("host without listener: warnings %q", w)
	}
}

func TestWebProxyBadInput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l := map[string]string{"WEBPROXY_LISTEN": "127.0.0.1:8080"}
	with := func(k, v string) map[string]string {
		m := map[string]string{"WEBPROXY_LISTEN": "127.0.0.1:8080", "WEBPROXY_HOST": "proxy.example.com"}
		m[k] = v
		return m
	}
	cases := []struct {
		name     string
		vars     map[string]string
		names    string
		sentinel error
	}{
		{"listener without host", l, "WEBPROXY_HOST", ErrConflict},
		{"listener without port", with("WEBPROXY_LISTEN", "127.0.0.1"), "WEBPROXY_LISTEN", ErrInvalid},
		{"listener port 0", with("WEBPROXY_LISTEN", "127.0.0.1:0"), "WEBPROXY_LISTEN", ErrInvalid},
		{"host is an IP", with("WEBPROXY_HOST", "203.0.113.7"), "WEBPROXY_HOST", ErrInvalid},
		{"host with a port", with("WEBPROXY_HOST", "proxy.example.com:443"), "WEBPROXY_HOST", ErrInvalid},
		{"host of one label", with("WEBPROXY_HOST", "localhost"), "WEBPROXY_HOST", ErrInvalid},
		{"host not an A-label", with("WEBPROXY_HOST", "пример.рф"), "WEBPROXY_HOST", ErrInvalid},
		{"host with underscore", with("WEBPROXY_HOST", "a_b.example.com"), "WEBPROXY_HOST", ErrInvalid},
		{"base path with a space", with("WEBPROXY_BASE_PATH", "a b"), "WEBPROXY_BASE_PATH", ErrInvalid},
		{"base path with ..", with("WEBPROXY_BASE_PATH", "a/../b"), "WEBPROXY_BASE_PATH", ErrInvalid},
		{"site of another scheme", with("WEBPROXY_SITE", "ftp://example.com"), "WEBPROXY_SITE", ErrInvalid},
		{"site relative path", with("WEBPROXY_SITE", "www"), "WEBPROXY_SITE", ErrInvalid},
		{"site missing directory", with("WEBPROXY_SITE", "/nonexistent/www"), "WEBPROXY_SITE", ErrInvalid},
		{"site a file", with("WEBPROXY_SITE", file), "WEBPROXY_SITE", ErrInvalid},
		{"bad trusted proxy", with("WEBPROXY_TRUSTED_PROXIES", "caddy"), "WEBPROXY_TRUSTED_PROXIES", ErrInvalid},
		{"bad mode", with("WEBPROXY_MODE", "lanes"), "WEBPROXY_MODE", ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustFail(t, tc.vars, nil, tc.names, tc.sentinel)
		})
	}
}
