package webproxy

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"go.uber.org/zap"
)

// maxHelloBody caps a session creation's body.
const maxHelloBody = 64

// routeAPI serves a request of the session API. It returns false, having
// written nothing, when the request carries no token the relay knows:
// that one goes to the public site.
func (c *Carrier) routeAPI(w http.ResponseWriter, r *http.Request, route string) bool {
	if route == "ws" {
		tok, ok := wsToken(r)
		if !ok {
			return false
		}
		c.mu.Lock()
		s, ended := c.sessions[tok], c.ended.has(tok)
		c.mu.Unlock()
		switch {
		case s != nil:
			c.serveWS(w, r, s, tok)
		case ended:
			local(w, http.StatusNotFound)
		default:
			return false
		}
		return true
	}
	tok, ok := bearer(r)
	if !ok {
		return false
	}
	now := c.o.Now()
	c.mu.Lock()
	b, s, ended := c.boots.get(tok, now), c.sessions[tok], c.ended.has(tok)
	c.mu.Unlock()
	call := r.Method + " " + route
	switch {
	case b != nil && call == "POST session":
		c.create(w, r, b)
	case s != nil && call == "POST up":
		c.serveUp(w, r, s)
	case s != nil && call == "POST down":
		c.serveDown(w, r, s)
	case (s != nil || ended) && call == "DELETE session":
		if !apiRules(r, false) {
			local(w, http.StatusNotFound)
			return true
		}
		if s != nil {
			s.end("closed by the client")
		}
		local(w, http.StatusNoContent)
	case b != nil || s != nil || ended:
		local(w, http.StatusNotFound)
	default:
		return false
	}
	return true
}

// bearer returns the token of a request's first Authorization header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Values("Authorization")
	if len(v) == 0 {
		return "", false
	}
	tok, ok := strings.CutPrefix(v[0], "Bearer ")
	return tok, ok && len(tok) == 43
}

// apiRules checks what every API request must be: no query string, one
// Authorization header, no cookies, and either an octet-stream body
// (withBody) or an empty body without a Content-Type.
func apiRules(r *http.Request, withBody bool) bool {
	h := r.Header
	if r.URL.RawQuery != "" || r.URL.ForceQuery || len(h.Values("Authorization")) != 1 || len(h.Values("Cookie")) != 0 {
		return false
	}
	ct := h.Values("Content-Type")
	if withBody {
		return len(ct) == 1 && ct[0] == "application/octet-stream"
	}
	return len(ct) == 0 && r.ContentLength == 0 && len(r.TransferEncoding) == 0
}

// readBody reads at most max bytes of body; false when there are more.
func readBody(r *http.Request, max int) ([]byte, bool) {
	if r.ContentLength > int64(max) {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	return b, err == nil && len(b) <= max
}

// create turns a bootstrap token and a HELLO into a session, or gives the
// session it already made back to a retry. At capacity the token stays
// unconsumed and the page is told to come back.
func (c *Carrier) create(w http.ResponseWriter, r *http.Request, b *bootstrap) {
	if !apiRules(r, true) {
		local(w, http.StatusNotFound)
		return
	}
	body, ok := readBody(r, maxHelloBody)
	if !ok || !bytes.Equal(body, wire.Hello()) {
		local(w, http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	if s := b.session; s != nil {
		c.mu.Unlock()
		if s.isEnded() {
			local(w, http.StatusNotFound)
			return
		}
		c.welcome(w, s)
		return
	}
	if c.closed || len(c.sessions) >= c.o.MaxSessions {
		c.mu.Unlock()
		if !c.closed {
			c.o.Observer.LimitHit(LimitSessions)
		}
		w.Header().Set("Retry-After", "1")
		local(w, http.StatusServiceUnavailable)
		return
	}
	s, err := c.newSession(b.entry, r)
	if err != nil {
		c.mu.Unlock()
		local(w, http.StatusServiceUnavailable)
		return
	}
	c.sessions[s.token] = s
	b.session = s
	c.mu.Unlock()
	s.watchIdle()
	c.o.Observer.SessionOpened()
	if ce := s.log.Check(zap.DebugLevel, "web proxy session created"); ce != nil {
		ce.Write(zap.Stringer("client", s.remote))
	}
	c.welcome(w, s)
}

// welcome answers a session creation.
func (c *Carrier) welcome(w http.ResponseWriter, s *session) {
	welcome := wire.Welcome()
	h := w.Header()
	h.Set("X-Session-Token", s.token)
	h.Set("X-Down-Cursor", "0")
	h.Set("X-Carrier-Mode", s.mode.String())
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(welcome)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(welcome)
	c.o.Observer.CarrierBytes(ToClient, len(welcome))
}

// protocolError ends a session that broke the protocol and answers 400.
func (c *Carrier) protocolError(w http.ResponseWriter, s *session, err error) {
	s.log.Info("web proxy session broke the protocol", zap.Error(err))
	s.end("protocol error")
	local(w, http.StatusBadRequest)
}

// parseCounter reads a decimal counter header: one value, digits only, no
// leading zero.
func parseCounter(r *http.Request, name string) (uint64, bool) {
	v := r.Header.Values(name)
	if len(v) != 1 || v[0] == "" || len(v[0]) > 19 || (len(v[0]) > 1 && v[0][0] == '0') {
		return 0, false
	}
	for i := 0; i < len(v[0]); i++ {
		if v[0][i] < '0' || v[0][i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(v[0], 10, 64)
	return n, err == nil
}
