package metrics

import (
	"context"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// handshakeBuckets (seconds) cover a loopback handshake up to the 10 s
// handshake and dial timeouts.
func handshakeBuckets() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// connectionBuckets (seconds) cover a second to a day.
func connectionBuckets() []float64 {
	return []float64{1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400}
}

// histograms are the Prometheus-only distributions. They are not part of
// the Snapshot: a histogram is many series, each observation is made on
// the connection path, and /stats has no place for them. Children are
// resolved at construction so an observation is an array index.
type histograms struct {
	handshakeVec    *prometheus.HistogramVec
	dialVec         *prometheus.HistogramVec
	answerVec       *prometheus.HistogramVec
	middleVec       *prometheus.HistogramVec
	connection      prometheus.Histogram
	handshake       [proxy.NumProtocols]prometheus.Observer
	dial            []prometheus.Observer // [dc]
	firstAnswer     []prometheus.Observer // [dc]
	middleHandshake []prometheus.Observer // [dc]
}

func newHistograms(dcs []string) histograms {
	var h histograms
	h.handshakeVec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mtproxy_client_handshake_duration_seconds",
		Help:    "Duration of successful client handshakes, from accept, by transport.",
		Buckets: handshakeBuckets(),
	}, []string{"transport"})
	for p := range proxy.NumProtocols {
		h.handshake[p] = h.handshakeVec.WithLabelValues(proxy.Protocol(p).String())
	}
	h.connection = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "mtproxy_client_connection_duration_seconds",
		Help:    "Duration of authenticated client connections, from accept to close.",
		Buckets: connectionBuckets(),
	})
	h.dialVec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mtproxy_upstream_dial_duration_seconds",
		Help:    "Duration of the TCP connects to Telegram made for clients, by DC.",
		Buckets: handshakeBuckets(),
	}, []string{"dc"})
	h.answerVec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mtproxy_upstream_first_answer_seconds",
		Help:    "Time from the connect to a DC made for a client to the DC's first byte back, by DC.",
		Buckets: handshakeBuckets(),
	}, []string{"dc"})
	h.middleVec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mtproxy_middle_handshake_duration_seconds",
		Help:    "Duration of successful middle-proxy RPC handshakes, by DC.",
		Buckets: handshakeBuckets(),
	}, []string{"dc"})
	for _, d := range dcs {
		h.dial = append(h.dial, h.dialVec.WithLabelValues(d))
		h.firstAnswer = append(h.firstAnswer, h.answerVec.WithLabelValues(d))
		h.middleHandshake = append(h.middleHandshake, h.middleVec.WithLabelValues(d))
	}
	return h
}

func (h *histograms) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.handshakeVec, h.connection, h.dialVec, h.answerVec, h.middleVec}
}

// observe records v, with the trace id of the span in ctx as the exemplar
// when that span is sampled (an unsampled trace cannot be looked up).
func observe(ctx context.Context, o prometheus.Observer, v float64) {
	if ctx != nil {
		if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
			if eo, ok := o.(prometheus.ExemplarObserver); ok {
				eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String()})
				return
			}
		}
	}
	o.Observe(v)
}
