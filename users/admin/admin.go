package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/links"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/users"
	"go.uber.org/zap"
)

// MinTokenLen is the shortest ADMIN_TOKEN accepted.
const MinTokenLen = 16

// Options configure the admin handler.
type Options struct {
	// Manager edits the users; Registry reports them. Required.
	Manager  *users.Manager
	Registry *users.Registry
	// Token is the admin token (ADMIN_TOKEN), at least MinTokenLen bytes.
	// Required.
	Token string
	// Host, Port and TLSDomain make the links: the proxy's external
	// address ("" gives links.Placeholder), its client port, and the
	// FakeTLS domain (ee links) when set. TLSOnly leaves out the forms the
	// proxy refuses.
	Host      string
	Port      int
	TLSDomain string
	TLSOnly   bool
	// WebProxyHost and WebProxyBasePath are the WEB proxy carrier's public
	// host and base path (WEBPROXY_HOST, WEBPROXY_BASE_PATH): when the
	// host is set, every user's links start with the tg://webproxy and
	// https://t.me/webproxy pair (form "webproxy"). "": the carrier is off.
	WebProxyHost     string
	WebProxyBasePath string
	// Logger receives one line per request. Default: none.
	Logger *zap.Logger
	// Rand makes new secrets. Default crypto/rand.
	Rand io.Reader
}

// ErrToken is returned by New for a missing or short token.
var ErrToken = errors.New("admin: ADMIN_TOKEN must be at least 16 characters")

// Handler serves the admin API and page.
type Handler struct {
	o       Options
	mux     *http.ServeMux
	tokenH  [sha256.Size]byte // SHA-256 of the token, compared in constant time
	session string            // the cookie value: a MAC of the token
	macKey  []byte
}

// New returns the admin handler.
func New(o Options) (*Handler, error) {
	if len(o.Token) < MinTokenLen {
		return nil, ErrToken
	}
	if o.Manager == nil || o.Registry == nil {
		return nil, errors.New("admin: Manager and Registry are required")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	h := &Handler{o: o, mux: http.NewServeMux(), tokenH: sha256.Sum256([]byte(o.Token))}
	k := sha256.Sum256([]byte("mtproxy admin keys\x00" + o.Token))
	h.macKey = k[:]
	h.session = h.mac("session")
	for _, rt := range h.routes() {
		h.mux.Handle(rt.method+" "+rt.pattern, rt.handler)
	}
	return h, nil
}

// route is one endpoint; the OpenAPI test walks the list.
type route struct {
	method, pattern string
	handler         http.Handler
}

func (h *Handler) routes() []route {
	api := func(f http.HandlerFunc) http.Handler { return h.bearer(f) }
	page := func(f http.HandlerFunc) http.Handler { return h.cookie(f) }
	return []route{
		{"GET", "/api/v1/openapi.json", http.HandlerFunc(h.openapi)},
		{"GET", "/api/v1/users", api(h.listUsers)},
		{"POST", "/api/v1/users", api(h.createUser)},
		{"GET", "/api/v1/users/{name}", api(h.getUser)},
		{"PATCH", "/api/v1/users/{name}", api(h.patchUser)},
		{"DELETE", "/api/v1/users/{name}", api(h.deleteUser)},
		{"POST", "/api/v1/users/{name}/rotate", api(h.rotateUser)},
		{"POST", "/api/v1/users/{name}/reset-quota", api(h.resetQuota)},
		{"GET", "/api/v1/users/{name}/links", api(h.userLinks)},
		{"GET", "/api/v1/users/{name}/qr.svg", api(h.userQR)},

		{"GET", "/admin/{$}", http.HandlerFunc(h.pageIndex)},
		{"POST", "/admin/login", http.HandlerFunc(h.pageLogin)},
		{"POST", "/admin/logout", page(h.pageLogout)},
		{"POST", "/admin/users", page(h.pageCreate)},
		{"POST", "/admin/users/{name}/{action}", page(h.pageAction)},
		{"GET", "/admin/users/{name}/qr.svg", page(h.userQR)},
		{"GET", "/admin/share/{name}/{sig}", http.HandlerFunc(h.pageShare)},
		{"GET", "/admin/share/{name}/{sig}/qr.svg", http.HandlerFunc(h.shareQR)},
	}
}

// ServeHTTP serves the request and logs it. Who may reach the handler at
// all is the mounting server's business: the binary mounts it with
// status.Server.Handle behind ADMIN_ALLOW.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	sw.Header().Set("Cache-Control", "no-store")
	sw.Header().Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: Chromium sends "Origin: null" on a
	// form POST from a no-referrer page, which sameOrigin must refuse;
	// other sites still get no referrer (no share link leaks).
	sw.Header().Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(sw, r)
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		pattern = "unmatched"
	}
	fields := []zap.Field{zap.String("method", r.Method), zap.String("route", pattern),
		zap.Int("status", sw.status), zap.Duration("duration", time.Since(start))}
	if name := r.PathValue("name"); name != "" && validName(name) {
		fields = append(fields, zap.String("user", name))
	}
	h.o.Logger.Info("admin request", fields...)
	if ce := h.o.Logger.Check(zap.DebugLevel, "admin request from"); ce != nil {
		ce.Write(zap.String("remote", r.RemoteAddr))
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// bearer admits requests whose Authorization header holds the token.
func (h *Handler) bearer(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(tok))
		if !ok || subtle.ConstantTimeCompare(sum[:], h.tokenH[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mtproxy admin"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next(w, r)
	})
}

// mac returns hex(HMAC-SHA256(macKey, parts joined by NUL)).
func (h *Handler) mac(parts ...string) string {
	m := hmac.New(sha256.New, h.macKey)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hexString(m.Sum(nil))
}

func macEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func validName(s string) bool { return users.ValidName(s) }

// formWebProxy is the form of the WEB proxy link in the API and the page.
const formWebProxy links.Form = "webproxy"

// links returns every link of a key the proxy accepts: the WEB proxy one
// first when the carrier is on, then the classic ones from the weakest to
// the strongest (the last is the default QR code).
func (h *Handler) links(key [16]byte) []links.Link {
	var all []links.Link
	if h.o.WebProxyHost != "" {
		// The dd form, as startup.WebLink prints it: padded intermediate.
		w := wire.Links(h.o.WebProxyHost, h.o.WebProxyBasePath, key, wire.DD)
		all = append(all, links.Link{Form: formWebProxy, Secret: w.Secret, TG: w.TG, TMe: w.TMe})
	}
	for _, l := range links.All(h.o.Host, h.o.Port, key, h.o.TLSDomain) {
		if l.FakeTLS || !h.o.TLSOnly {
			all = append(all, l)
		}
	}
	return all
}
