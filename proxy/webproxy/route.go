package webproxy

import (
	"net/http"
	"net/url"
	"strings"
)

// ServeHTTP routes a request of the virtual host:
//
//   - GET {base} with exactly one canonical bridge=<capability> and nothing
//     else, the capability authentic: the bridge page;
//   - {base}api/v1/... with an authentic token: the session API, whose
//     rules a request must keep or get a local 404;
//   - anything else carrying an authentic capability or token: a local
//     404 with no-store, so no secret-derived value reaches the site;
//   - everything else: the public site.
//
// Nothing here logs a URI, an Authorization or a WebSocket protocol header.
func (c *Carrier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	rest, under := strings.CutPrefix(path, c.prefix)
	if under && rest == "" {
		c.routePage(w, r)
		return
	}
	if under && strings.HasPrefix(rest, apiPrefix) {
		if c.routeAPI(w, r, rest[len(apiPrefix):]) {
			return
		}
		c.fallback(w, r, FallbackToken)
		return
	}
	c.fallback(w, r, FallbackPath)
}

const apiPrefix = "api/v1/"

// routePage serves the page to an exact bridge request.
func (c *Carrier) routePage(w http.ResponseWriter, r *http.Request) {
	if v, ok := strings.CutPrefix(r.URL.RawQuery, "bridge="); ok && r.Method == http.MethodGet && !r.URL.ForceQuery {
		if e, ok := c.caps.match(v); ok {
			c.servePage(w, r, e)
			return
		}
	}
	c.fallback(w, r, FallbackCapability)
}

// fallback hands a request that is not an exact bridge request to the
// public site, unless it carries an authentic capability or token.
func (c *Carrier) fallback(w http.ResponseWriter, r *http.Request, why FallbackReason) {
	if c.authentic(r) {
		local(w, http.StatusNotFound)
		return
	}
	c.o.Observer.SiteFallback(why)
	c.o.Site.ServeHTTP(w, r)
}

// authentic reports whether r carries, anywhere the protocol puts one, a
// capability of a configured secret or a token the relay issued.
func (c *Carrier) authentic(r *http.Request) bool {
	if r.URL.RawQuery != "" {
		if q, err := url.ParseQuery(r.URL.RawQuery); err == nil || len(q) > 0 {
			for _, v := range q["bridge"] {
				if _, ok := c.caps.match(v); ok {
					return true
				}
			}
		}
	}
	for _, v := range r.Header.Values("Authorization") {
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok && c.known(tok) {
			return true
		}
	}
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if tok, ok := strings.CutPrefix(strings.TrimSpace(p), wsProtocolPrefix); ok && c.known(tok) {
				return true
			}
		}
	}
	return false
}

// known reports whether tok is a bootstrap or session token the relay
// issued and still remembers, ended sessions included.
func (c *Carrier) known(tok string) bool {
	if len(tok) != 43 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.boots.get(tok, c.o.Now()) != nil || c.sessions[tok] != nil || c.ended.has(tok)
}
