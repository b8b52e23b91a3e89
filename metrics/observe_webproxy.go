package metrics

import (
	"sync/atomic"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/prometheus/client_golang/prometheus"
)

// WebProxyObserver returns the webproxy.Observer of m: the WEB proxy
// carrier's sessions, streams, bytes, pages, public-site fallbacks and
// limit hits. The series exist at zero whether the carrier is on or not.
func (m *Metrics) WebProxyObserver() webproxy.Observer { return webObserver{&m.web} }

// webCounters are the carrier's counts, indexed by its closed sets.
type webCounters struct {
	open      atomic.Int64
	sessions  atomic.Uint64
	streams   [webproxy.NumStreamResults]atomic.Uint64
	bytes     [webproxy.NumDirections]atomic.Uint64
	pages     atomic.Uint64
	fallbacks [webproxy.NumFallbackReasons]atomic.Uint64
	limits    [webproxy.NumLimits]atomic.Uint64
}

type webObserver struct{ c *webCounters }

func (o webObserver) SessionOpened() { o.c.open.Add(1); o.c.sessions.Add(1) }
func (o webObserver) SessionClosed() { o.c.open.Add(-1) }
func (o webObserver) PageServed()    { o.c.pages.Add(1) }

func (o webObserver) Stream(r webproxy.StreamResult) {
	if int(r) < webproxy.NumStreamResults {
		o.c.streams[r].Add(1)
	}
}

func (o webObserver) CarrierBytes(d webproxy.Direction, n int) {
	if int(d) < webproxy.NumDirections && n > 0 {
		o.c.bytes[d].Add(uint64(n))
	}
}

func (o webObserver) SiteFallback(r webproxy.FallbackReason) {
	if int(r) < webproxy.NumFallbackReasons {
		o.c.fallbacks[r].Add(1)
	}
}

func (o webObserver) LimitHit(l webproxy.Limit) {
	if int(l) < webproxy.NumLimits {
		o.c.limits[l].Add(1)
	}
}

// webCollector renders the carrier's counters at scrape time.
type webCollector struct {
	c                              *webCounters
	open, sessions, streams, bytes *prometheus.Desc
	pages, fallbacks, limits       *prometheus.Desc
}

func newWebCollector(c *webCounters) *webCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("mtproxy_webproxy_"+name, help, labels, nil)
	}
	return &webCollector{
		c:         c,
		open:      d("sessions", "WEB proxy carrier sessions open now."),
		sessions:  d("sessions_total", "WEB proxy carrier sessions created."),
		streams:   d("streams_total", "WEB proxy streams opened, by result: served, refused at a carrier limit, refused by the engine.", "result"),
		bytes:     d("bytes_total", "Bytes of frames the WEB proxy carrier carried, by direction.", "direction"),
		pages:     d("pages_total", "WEB proxy bridge pages served."),
		fallbacks: d("site_fallbacks_total", "Requests handed to the public site, by reason.", "reason"),
		limits:    d("limit_hits_total", "Refusals at a WEB proxy carrier limit, by limit.", "limit"),
	}
}

func (w *webCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{w.open, w.sessions, w.streams, w.bytes, w.pages, w.fallbacks, w.limits} {
		ch <- d
	}
}

func (w *webCollector) Collect(ch chan<- prometheus.Metric) {
	e := emitter{ch}
	c := w.c
	e.gauge(w.open, float64(c.open.Load()))
	e.counter(w.sessions, c.sessions.Load())
	for r := range c.streams {
		e.counter(w.streams, c.streams[r].Load(), webproxy.StreamResult(r).String())
	}
	for d := range c.bytes {
		e.counter(w.bytes, c.bytes[d].Load(), webproxy.Direction(d).String())
	}
	e.counter(w.pages, c.pages.Load())
	for r := range c.fallbacks {
		e.counter(w.fallbacks, c.fallbacks[r].Load(), webproxy.FallbackReason(r).String())
	}
	for l := range c.limits {
		e.counter(w.limits, c.limits[l].Load(), webproxy.Limit(l).String())
	}
}
