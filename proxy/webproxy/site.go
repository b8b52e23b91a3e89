package webproxy

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"

	"go.uber.org/zap"
)

// NotFound answers every request with an empty 404: what a relay without
// a public site shows to whoever is not a client.
func NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNotFound)
	})
}

// ProxySite is a public site served by reverse-proxying every request to
// target (an http or https URL; its path prefixes the requests'). Errors
// reaching it are an empty 502, logged at debug without the URI.
func ProxySite(target *url.URL, log *zap.Logger) http.Handler {
	if log == nil {
		log = zap.NewNop()
	}
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) },
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the url.Error's text holds the URI
			}
			log.Debug("public site unreachable", zap.Error(err))
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusBadGateway)
		},
		ErrorLog: must(zap.NewStdLogAt(log, zap.DebugLevel)),
	}
}

// DirSite is a public site of static files under dir: a directory serves
// its index.html, never a listing; names starting with a dot are hidden.
func DirSite(dir string) http.Handler {
	return http.FileServer(siteFS{http.Dir(dir)})
}

type siteFS struct{ fs http.FileSystem }

func (s siteFS) Open(name string) (http.File, error) {
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return nil, fs.ErrNotExist
		}
	}
	f, err := s.fs.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		idx, err := s.fs.Open(strings.TrimSuffix(name, "/") + "/index.html")
		if err != nil {
			f.Close()
			return nil, fs.ErrNotExist
		}
		idx.Close()
	}
	return f, nil
}

// CheckDir reports whether dir is a readable directory, for configuration.
func CheckDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return errors.New("not a directory")
	}
	return nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
