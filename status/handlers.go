package status

import (
	"net/http"
	"strings"

	"github.com/mtproxy/mtproxy/metrics"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func statsHandler(src Source) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		page := metrics.StatsPage(src.Snapshot())
		h := w.Header()
		h.Set("Content-Type", "text/plain") // as the official proxy: no charset
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(page)
	})
}

// metricsHandler negotiates OpenMetrics, which carries the exemplars, with
// the scraper.
func metricsHandler(src Source) http.Handler {
	return promhttp.HandlerFor(src.Registry(), promhttp.HandlerOpts{EnableOpenMetrics: true})
}

func healthz(w http.ResponseWriter, _ *http.Request) { plain(w, http.StatusOK, "ok\n") }

func readyzHandler(src Source) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if missing := src.Snapshot().NotReady(); len(missing) > 0 {
			plain(w, http.StatusServiceUnavailable, strings.Join(missing, "\n")+"\n")
			return
		}
		plain(w, http.StatusOK, "ready\n")
	})
}

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
