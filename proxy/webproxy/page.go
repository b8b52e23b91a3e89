package webproxy

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"strconv"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"go.uber.org/zap"
)

//go:embed assets/bridge.html
var bridgeHTML string

// parsePage parses the bridge page's template.
func parsePage() *template.Template {
	return template.Must(template.New("bridge").Parse(bridgeHTML))
}

// pageConfig is what the page's script is told, as a JSON object.
type pageConfig struct {
	Origin    string `json:"origin"`    // the relay's origin and base path
	Base      string `json:"base"`      // the path prefix of the API
	Mode      string `json:"mode"`      // the carrier mode
	MaxFrames int    `json:"maxFrames"` // batch limits
	MaxBytes  int    `json:"maxBytes"`
}

type pageData struct {
	Nonce, Bootstrap string
	Config           pageConfig
}

// servePage answers an exact bridge request: a fresh bootstrap token for
// the capability's secret, in a page with one inline script under a CSP
// nonce.
func (c *Carrier) servePage(w http.ResponseWriter, r *http.Request, e capEntry) {
	tok, err := c.token()
	var nonce [16]byte
	if err == nil {
		_, err = io.ReadFull(c.o.Rand, nonce[:])
	}
	if err != nil {
		c.o.Logger.Warn("web proxy page: no randomness", zap.Error(err))
		local(w, http.StatusServiceUnavailable)
		return
	}
	now := c.o.Now()
	c.mu.Lock()
	evicted := c.boots.add(&bootstrap{token: tok, entry: e, expires: now.Add(c.o.BootstrapTTL)}, now)
	c.mu.Unlock()
	if evicted {
		c.o.Observer.LimitHit(LimitBootstraps)
	}
	n := base64.RawURLEncoding.EncodeToString(nonce[:])
	var body bytes.Buffer
	err = c.page.Execute(&body, pageData{Nonce: n, Bootstrap: tok, Config: pageConfig{
		Origin: c.origin, Base: c.prefix, Mode: c.o.Mode.String(),
		MaxFrames: wire.MaxBatchFrames, MaxBytes: wire.MaxBatchBytes,
	}})
	if err != nil {
		local(w, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+n+"'; connect-src 'self' wss://"+c.o.Host+
		"; frame-ancestors http://127.0.0.1:*; sandbox allow-same-origin allow-scripts; base-uri 'none'; form-action 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body.Bytes())
	c.o.Observer.PageServed()
	c.o.Logger.Debug("web proxy page served", zap.String("secret", e.label()))
}

// local is the relay's own answer to a request that carries an authentic
// secret or token but is not valid: a status, no body, never cached.
func local(w http.ResponseWriter, code int) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", "0")
	w.WriteHeader(code)
}
