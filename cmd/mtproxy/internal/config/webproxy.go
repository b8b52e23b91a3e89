package config

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// resolveWebProxy checks the WEB proxy settings together: the listener
// needs a host; the other settings without the listener are warned about.
func (l *loader) resolveWebProxy(c *Config) error {
	v := l.v
	w := WebProxy{
		Listen: v.WebProxyListen.s, Host: v.WebProxyHost.s, BasePath: v.WebProxyBasePath.s,
		Site: v.WebProxySite.s, TrustedProxies: v.WebProxyTrusted.items, Mode: v.WebProxyMode.s,
	}
	w.SiteDir = w.Site != "" && !strings.Contains(w.Site, "://")
	switch {
	case w.Listen != "" && w.Host == "":
		return newError("WEBPROXY_HOST", "is needed with WEBPROXY_LISTEN: the links carry the public host name", "WEBPROXY_LISTEN=127.0.0.1:8080 WEBPROXY_HOST=proxy.example.com", ErrConflict)
	case w.Listen == "" && (w.Host != "" || w.BasePath != "" || w.Site != ""):
		l.warn("WEBPROXY_HOST, WEBPROXY_BASE_PATH and WEBPROXY_SITE are ignored without WEBPROXY_LISTEN: the WEB proxy carrier is off")
	}
	c.WebProxy = w
	return nil
}

// checkListen checks a listen address: HOST:PORT or :PORT.
func checkListen(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", invalid(quote(s) + " is not HOST:PORT or :PORT")
	}
	if host != "" {
		if _, err := checkHostOrAddr(host); err != nil {
			return "", invalid(quote(s) + " has a bad host")
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", invalid(quote(s) + " has a bad port (1-65535)")
	}
	return s, nil
}

// checkWebProxyHost accepts what the WEB proxy links allow: a lowercase
// DNS name of A-labels with a dot (upper case is folded).
func checkWebProxyHost(s string) (string, error) {
	s = strings.ToLower(s)
	if err := wire.CheckHost(s); err != nil {
		return "", invalid(quote(s) + " is not a DNS name with a dot (no IP address, no port; xn-- for international names)")
	}
	return s, nil
}

// checkBasePath strips the slashes around a base path and checks it.
func checkBasePath(s string) (string, error) {
	p := strings.Trim(s, "/")
	if err := wire.CheckBasePath(p); err != nil {
		return "", invalid(quote(s) + " is not a path of A-Z, a-z, 0-9 and ._~- segments")
	}
	return p, nil
}

// checkSite accepts an http(s) URL or an absolute path to a directory.
func checkSite(s string) (string, error) {
	if strings.Contains(s, "://") {
		return checkURL(s)
	}
	if !filepath.IsAbs(s) {
		return "", invalid(quote(s) + " is neither an http(s) URL nor an absolute directory path")
	}
	st, err := os.Stat(s)
	if err != nil || !st.IsDir() {
		return "", invalid(quote(s) + " is not a readable directory")
	}
	return filepath.Clean(s), nil
}
