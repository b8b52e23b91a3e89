package admin

import (
	"net/http"

	"github.com/mtproxy/mtproxy/links"
	"github.com/mtproxy/mtproxy/users"
	goqr "github.com/piglig/go-qr"
)

// qrSVG renders text as a QR code in SVG: medium error correction, a
// four-module quiet zone, one module per SVG unit (the SVG scales).
func qrSVG(text string) ([]byte, error) {
	q, err := goqr.EncodeText(text, goqr.Medium)
	if err != nil {
		return nil, err
	}
	return q.ToSVGBytes(goqr.NewQrCodeImgConfig(1, 4))
}

// pickLink chooses the link a QR code carries: the form asked for
// (?form=plain|dd|ee|webproxy), else the strongest one the proxy accepts (ee when
// FakeTLS is on, else dd), as a tg:// link (?kind=tme for t.me).
func (h *Handler) pickLink(r *http.Request, key [16]byte) (links.Link, bool) {
	all := h.links(key)
	form := links.Form(r.URL.Query().Get("form"))
	if form == "" {
		form = all[len(all)-1].Form
	}
	for _, l := range all {
		if l.Form == form {
			return l, true
		}
	}
	return links.Link{}, false
}

func (h *Handler) serveQR(w http.ResponseWriter, r *http.Request, st users.Status) {
	l, ok := h.pickLink(r, st.Key)
	if !ok {
		writeError(w, http.StatusBadRequest, "form: want plain, dd, ee (needs TLS_DOMAIN) or webproxy (needs WEBPROXY_HOST)")
		return
	}
	text := l.TG
	if r.URL.Query().Get("kind") == "tme" {
		text = l.TMe
	}
	svg, err := qrSVG(text)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "QR encoding failed")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_, _ = w.Write(svg)
}

func (h *Handler) userQR(w http.ResponseWriter, r *http.Request) {
	st, ok := h.o.Registry.User(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, errNotFound.Error())
		return
	}
	h.serveQR(w, r, st)
}
