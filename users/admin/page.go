package admin

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/links"
	"github.com/mtproxy/mtproxy/users"
)

//go:embed page.html
var pageFS embed.FS

var pageTmpl = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"size": users.HumanSize,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"pct": func(used, quota uint64) int {
		if quota == 0 {
			return 0
		}
		return int(min(100, used*100/quota))
	},
	"path": url.PathEscape,
	"add":  func(a, b int) int { return a + b },
}).ParseFS(pageFS, "page.html"))

// cookieName holds the session: a MAC of the token, never the token.
const cookieName = "mtproxy_admin"

// pageSize is how many users one page lists.
const pageSize = 50

func (h *Handler) loggedIn(r *http.Request) bool {
	c, err := r.Cookie(cookieName)
	return err == nil && macEqual(c.Value, h.session)
}

func (h *Handler) csrf() string { return h.mac("csrf", h.session) }

// sameOrigin refuses a POST whose Origin header names another site.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// cookie admits page requests with the session cookie; POSTs must also be
// same-origin and carry the CSRF token.
func (h *Handler) cookie(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.loggedIn(r) {
			http.Error(w, "log in at /admin/ first", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			if !sameOrigin(r) || !macEqual(r.PostFormValue("csrf"), h.csrf()) {
				http.Error(w, "cross-site request refused", http.StatusForbidden)
				return
			}
		}
		next(w, r)
	})
}

type linkView struct {
	links.Link
	QR string // URL of its QR code
}

type userView struct {
	users.Status
	Links    []linkView
	ShareURL string
}

type pageData struct {
	Title   string
	CSRF    string
	Error   string
	Message string
	Query   string
	Users   []userView
	Total   int
	Shown   int
	Page    int
	Prev    string
	Next    string
	Share   *userView
}

func (h *Handler) view(st users.Status, qrBase string) userView {
	v := userView{Status: st}
	for _, l := range h.links(st.Key) {
		v.Links = append(v.Links, linkView{Link: l, QR: qrBase + "?form=" + string(l.Form)})
	}
	v.ShareURL = h.shareURL(st)
	return v
}

func (h *Handler) shareSig(st users.Status) string {
	return h.mac("share", st.Name, hexString(st.Key[:]))
}

func (h *Handler) shareURL(st users.Status) string {
	return "/admin/share/" + url.PathEscape(st.Name) + "/" + h.shareSig(st)
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, d *pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = pageTmpl.ExecuteTemplate(w, name, d)
}

func (h *Handler) pageIndex(w http.ResponseWriter, r *http.Request) {
	if !h.loggedIn(r) {
		h.render(w, http.StatusOK, "login", &pageData{Title: "mtproxy users: log in"})
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 0)
	all := h.o.Registry.Users()
	var match []users.Status
	for _, st := range all {
		if q == "" || strings.Contains(st.Name, q) || strings.Contains(strings.ToLower(st.Note), strings.ToLower(q)) {
			match = append(match, st)
		}
	}
	d := &pageData{Title: "mtproxy users", CSRF: h.csrf(), Query: q, Total: len(match), Page: page,
		Error: r.URL.Query().Get("error"), Message: r.URL.Query().Get("msg")}
	from := min(page*pageSize, len(match))
	to := min(from+pageSize, len(match))
	for _, st := range match[from:to] {
		d.Users = append(d.Users, h.view(st, "/admin/users/"+url.PathEscape(st.Name)+"/qr.svg"))
	}
	d.Shown = len(d.Users)
	qs := func(p int) string { return "/admin/?q=" + url.QueryEscape(q) + "&page=" + strconv.Itoa(p) }
	if page > 0 {
		d.Prev = qs(page - 1)
	}
	if to < len(match) {
		d.Next = qs(page + 1)
	}
	h.render(w, http.StatusOK, "index", d)
}

func (h *Handler) pageLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if !sameOrigin(r) {
		http.Error(w, "cross-site request refused", http.StatusForbidden)
		return
	}
	tok := r.PostFormValue("token")
	if !macEqual(h.mac("session-check", tok), h.mac("session-check", h.o.Token)) {
		h.render(w, http.StatusUnauthorized, "login", &pageData{Title: "mtproxy users: log in", Error: "Wrong token."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: h.session, Path: "/admin/",
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode, MaxAge: 7 * 24 * 3600})
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

func (h *Handler) pageLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/admin/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

// back redirects to the list with a message or an error.
func back(w http.ResponseWriter, r *http.Request, msg string, err error) {
	v := url.Values{}
	if err != nil {
		v.Set("error", err.Error())
	} else {
		v.Set("msg", msg)
	}
	http.Redirect(w, r, "/admin/?"+v.Encode(), http.StatusSeeOther)
}

func (h *Handler) pageCreate(w http.ResponseWriter, r *http.Request) {
	s := users.Spec{Enabled: true, Name: strings.TrimSpace(r.PostFormValue("name")), Note: r.PostFormValue("note")}
	err := formFields(&s, r)
	if err == nil {
		_, err = h.create(s)
	}
	back(w, r, "Created "+s.Name+".", err)
}

// formFields reads the optional limit fields of the create form.
func formFields(s *users.Spec, r *http.Request) error {
	var err error
	size := func(field string, dst *uint64) {
		if v := strings.TrimSpace(r.PostFormValue(field)); v != "" && err == nil {
			*dst, err = users.ParseSize(v)
		}
	}
	num := func(field string, dst *int) {
		if v := strings.TrimSpace(r.PostFormValue(field)); v != "" && err == nil {
			*dst, err = strconv.Atoi(v)
		}
	}
	size("quota", &s.Quota)
	size("rate_limit", &s.RateLimit)
	num("max_connections", &s.MaxConnections)
	num("max_ips", &s.MaxIPs)
	if v := r.PostFormValue("quota_period"); v != "" && err == nil {
		s.QuotaPeriod, err = users.ParsePeriod(v)
	}
	if v := strings.TrimSpace(r.PostFormValue("expires")); v != "" && err == nil {
		// A date from <input type=date>, or a full RFC 3339 time.
		if s.Expires, err = time.Parse(time.DateOnly, v); err != nil {
			s.Expires, err = time.Parse(time.RFC3339, v)
		}
	}
	return err
}

func (h *Handler) pageAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var err error
	msg := ""
	switch r.PathValue("action") {
	case "disable", "enable":
		on := r.PathValue("action") == "enable"
		err = h.edit(name, func(s *users.Spec) error { s.Enabled = on; return nil })
		msg = map[bool]string{true: "Enabled ", false: "Disabled "}[on] + name + "."
	case "rotate":
		err = h.rotate(name)
		msg = "New secret for " + name + ": the old links no longer work."
	case "reset-quota":
		if !h.o.Registry.ResetQuota(name) {
			err = errNotFound
		}
		msg = "Quota of " + name + " reset."
	case "delete":
		err = h.remove(name)
		msg = "Deleted " + name + "."
	default:
		http.NotFound(w, r)
		return
	}
	back(w, r, msg, err)
}

// share finds the user of a share URL, or false.
func (h *Handler) share(r *http.Request) (users.Status, bool) {
	st, ok := h.o.Registry.User(r.PathValue("name"))
	if !ok || !macEqual(r.PathValue("sig"), h.shareSig(st)) || st.Static {
		return users.Status{}, false
	}
	return st, true
}

func (h *Handler) pageShare(w http.ResponseWriter, r *http.Request) {
	st, ok := h.share(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	v := h.view(st, "/admin/share/"+url.PathEscape(st.Name)+"/"+r.PathValue("sig")+"/qr.svg")
	h.render(w, http.StatusOK, "share", &pageData{Title: "Proxy for " + st.Name, Share: &v})
}

func (h *Handler) shareQR(w http.ResponseWriter, r *http.Request) {
	st, ok := h.share(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.serveQR(w, r, st)
}
