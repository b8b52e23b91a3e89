package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/recovery"
)

// MiddleObserver returns the middle.Observer of m. It is a separate value
// because middle.Observer and proxy.Observer both have a Handshake method
// with different events, so one type cannot implement both.
func (m *Metrics) MiddleObserver() middle.Observer { return middleObserver{m} }

type middleObserver struct{ m *Metrics }

// Panicked counts a panic the middle layer recovered.
func (o middleObserver) Panicked(w recovery.Where) { o.m.Panicked(w) }

// MiddleSource is what the metrics pull from the middle-proxy layer at
// scrape time; *middle.Middle implements it.
type MiddleSource interface {
	Stats() middle.Stats
}

// DateSink estimates the clock skew from an HTTP Date header;
// *clockskew.Monitor implements it (and reports the estimate back to the
// Metrics as its clockskew.Observer).
type DateSink interface {
	ObserveHTTPDate(server, header string, sent, received time.Time) (clockskew.Sample, error)
}

type middleSource struct{ MiddleSource }
type dateSink struct{ DateSink }

// middleCounters are the counts of the middle layer's boundary events.
type middleCounters struct {
	handshakes  []atomic.Uint64 // [dc][middle.HandshakeResult]
	disconnects [middle.NumCloseReasons]atomic.Uint64
	refreshes   [middle.NumFiles][middle.NumRefreshResults]atomic.Uint64
	dates       atomic.Pointer[dateSink]
}

func (c *middleCounters) init(dcs int) {
	c.handshakes = make([]atomic.Uint64, dcs*middle.NumHandshakeResults)
}

// SetMiddle registers the middle-proxy layer, whose Stats are read at
// scrape time (pools, forwarding counters, Telegram's files).
func (m *Metrics) SetMiddle(s MiddleSource) { m.middle.Store(&middleSource{s}) }

// SetDateSink registers where the Date headers of Telegram's file downloads
// go (see [Metrics.MiddleObserver]); without one they are ignored.
func (m *Metrics) SetDateSink(s DateSink) { m.mid.dates.Store(&dateSink{s}) }

// Handshake counts one RPC connection attempt; a successful one is timed,
// with the span in ctx as the exemplar.
func (o middleObserver) Handshake(ctx context.Context, ev middle.HandshakeEvent) {
	m := o.m
	if int(ev.Result) >= middle.NumHandshakeResults {
		return
	}
	d := m.dcs.index(ev.DC)
	m.mid.handshakes[d*middle.NumHandshakeResults+int(ev.Result)].Add(1)
	if ev.Result == middle.HandshakeOK {
		observe(ctx, m.hist.middleHandshake[d], ev.Duration.Seconds())
	}
}

// ConnClosed counts the end of a ready RPC connection by reason.
func (o middleObserver) ConnClosed(ev middle.CloseEvent) {
	m := o.m
	if int(ev.Reason) < middle.NumCloseReasons {
		m.mid.disconnects[ev.Reason].Add(1)
	}
}

// Refresh counts one load of one of Telegram's files.
func (o middleObserver) Refresh(ev middle.RefreshEvent) {
	m := o.m
	if int(ev.File) < middle.NumFiles && int(ev.Result) < middle.NumRefreshResults {
		m.mid.refreshes[ev.File][ev.Result].Add(1)
	}
}

// HTTPDate passes the Date header of a Telegram file download to the
// DateSink, which estimates the clock skew and reports it as the http_date
// source. A response without a Date header tells nothing and is skipped.
func (o middleObserver) HTTPDate(ev middle.DateEvent) {
	s := o.m.mid.dates.Load()
	if s == nil || ev.Header == "" {
		return
	}
	// The error is reported to the clockskew.Observer by the sink.
	_, _ = s.ObserveHTTPDate("telegram "+ev.File.String(), ev.Header, ev.Sent, ev.Received)
}
