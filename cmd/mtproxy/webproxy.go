package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"go.uber.org/zap"
)

// webProxy is the WEB proxy carrier and its HTTP listener, when on.
type webProxy struct {
	carrier *webproxy.Carrier
	ln      net.Listener
	srv     *http.Server
}

// newWebProxy builds the carrier in front of the engine and opens its
// listener; nil when WEBPROXY_LISTEN is not set.
func (a *app) newWebProxy() (*webProxy, error) {
	w := a.cfg.WebProxy
	if !w.Enabled() {
		return nil, nil
	}
	log := a.log.Named("webproxy")
	mode, err := webproxy.ParseMode(w.Mode)
	if err != nil {
		return nil, err
	}
	var site http.Handler
	switch {
	case w.SiteDir:
		site = webproxy.DirSite(w.Site)
	case w.Site != "":
		u, err := url.Parse(w.Site)
		if err != nil {
			return nil, fmt.Errorf("WEBPROXY_SITE: %w", err)
		}
		site = webproxy.ProxySite(u, log)
	}
	c, err := webproxy.New(webproxy.Options{
		Host: w.Host, BasePath: w.BasePath, Mode: mode, Secrets: a.webProxySecrets(),
		Engine: a.proxy, Site: site, TrustedProxies: w.TrustedProxies,
		Logger: log, Observer: a.metrics.WebProxyObserver(),
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", w.Listen)
	if err != nil {
		if isAddrInUse(err) {
			return nil, fmt.Errorf("WEBPROXY_LISTEN: cannot listen on %s: the port is already in use", w.Listen)
		}
		return nil, fmt.Errorf("WEBPROXY_LISTEN: cannot listen on %s: %w", w.Listen, err)
	}
	errLog, _ := zap.NewStdLogAt(log, zap.DebugLevel)
	return &webProxy{carrier: c, ln: ln, srv: &http.Server{
		Handler: c, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10, ErrorLog: errLog,
	}}, nil
}

// webProxySecrets are the secrets whose capabilities open the bridge
// page: with users (USERS_FILE or ADMIN_TOKEN), the registry's live ones,
// SECRET's included, so a user added, rotated or removed gains or loses
// the page without a restart; else SECRET's, fixed.
func (a *app) webProxySecrets() webproxy.SecretSource {
	if a.users != nil {
		return a.users.reg.WebProxySecrets()
	}
	secrets := make([]webproxy.Secret, len(a.cfg.Secrets))
	for i, s := range a.cfg.Secrets {
		secrets[i] = webproxy.Secret{Name: s.Name, Key: s.Key}
	}
	return webproxy.StaticSecrets(secrets)
}

// webProxyFields are the start-up log line's fields of the carrier.
func webProxyFields(w *webProxy, c config.WebProxy) []zap.Field {
	if w == nil {
		return nil
	}
	return []zap.Field{zap.Stringer("webproxy_listen", w.ln.Addr()), zap.String("webproxy_host", c.Host), zap.String("webproxy_mode", c.Mode)}
}
