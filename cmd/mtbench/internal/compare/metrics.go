package compare

import (
	"math"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
)

// Metric is one number read from a report.
type Metric struct {
	Name string
	// HigherBetter tells which way a ratio above 1 points.
	HigherBetter bool
	// Format renders a value (a median) for the table.
	Format func(float64) string
	// Value reads the metric; ok is false when the report lacks it.
	Value func(r *report.Report) (v float64, ok bool)
}

func mbps(v float64) string   { return fmtG(v/1e6, "MB/s") }
func mib(v float64) string    { return fmtG(v/(1<<20), "MiB") }
func kib(v float64) string    { return fmtG(v/(1<<10), "KiB") }
func perSec(v float64) string { return fmtG(v, "/s") }

// dur formats nanoseconds in the unit that keeps the number readable.
func dur(ns float64) string {
	switch a := math.Abs(ns); {
	case a >= 1e9:
		return fmtG(ns/1e9, "s")
	case a >= 1e6:
		return fmtG(ns/1e6, "ms")
	}
	return fmtG(ns/1e3, "µs")
}

func proxy(f func(p *report.ProxyUsage, r *report.Report) (float64, bool)) func(*report.Report) (float64, bool) {
	return func(r *report.Report) (float64, bool) {
		if r.Proxy == nil {
			return 0, false
		}
		return f(r.Proxy, r)
	}
}

func always(f func(r *report.Report) float64) func(*report.Report) (float64, bool) {
	return func(r *report.Report) (float64, bool) { return f(r), true }
}

var (
	mThroughput = Metric{"throughput (up+down)", true, mbps, always(func(r *report.Report) float64 { return r.TotalRate })}
	mCPUEff     = Metric{"bytes per proxy CPU-second", true, mbps, proxy(func(p *report.ProxyUsage, r *report.Report) (float64, bool) {
		s := p.CPU.Seconds()
		return float64(r.BytesUp+r.BytesDown) / s, s > 0
	})}
	mPeakRSS     = Metric{"proxy peak RSS", false, mib, proxy(func(p *report.ProxyUsage, _ *report.Report) (float64, bool) { return float64(p.PeakRSS), true })}
	mTransferP50 = Metric{"transfer time p50", false, dur, always(func(r *report.Report) float64 { return float64(r.Latency.P50) })}
	mTransferP99 = Metric{"transfer time p99", false, dur, always(func(r *report.Report) float64 { return float64(r.Latency.P99) })}
	mRTTP50      = Metric{"packet RTT p50", false, dur, always(func(r *report.Report) float64 { return float64(r.Latency.P50) })}
	mRTTP99      = Metric{"packet RTT p99", false, dur, always(func(r *report.Report) float64 { return float64(r.Latency.P99) })}
	mHSRate      = Metric{"handshakes per second", true, perSec, always(func(r *report.Report) float64 { return r.HandshakeRate })}
	mHSP50       = Metric{"handshake latency p50", false, dur, always(func(r *report.Report) float64 { return float64(r.Handshake.P50) })}
	mHSP90       = Metric{"handshake latency p90", false, dur, always(func(r *report.Report) float64 { return float64(r.Handshake.P90) })}
	mHSP99       = Metric{"handshake latency p99", false, dur, always(func(r *report.Report) float64 { return float64(r.Handshake.P99) })}
	mCPUPerHS    = Metric{"proxy CPU per handshake", false, dur, proxy(func(p *report.ProxyUsage, r *report.Report) (float64, bool) {
		return float64(p.CPU) / float64(r.OK), r.OK > 0
	})}
	mRSSPerConn = Metric{"proxy RSS per idle connection", false, kib, proxy(func(p *report.ProxyUsage, _ *report.Report) (float64, bool) {
		return float64(p.RSSPerConn), true
	})}
	mRSSAfter = Metric{"proxy RSS with all connections open", false, mib, proxy(func(p *report.ProxyUsage, _ *report.Report) (float64, bool) {
		return float64(p.After.RSS), true
	})}
	mFailed = Metric{"failed connections", false, func(v float64) string { return fmtG(v, "") },
		always(func(r *report.Report) float64 { return float64(r.Failed) })}
)

// MetricsFor returns the metrics reported for a workload.
func MetricsFor(workload string) []Metric {
	switch workload {
	case "transfer":
		return []Metric{mThroughput, mCPUEff, mTransferP50, mTransferP99, mPeakRSS, mFailed}
	case "echo":
		return []Metric{mThroughput, mCPUEff, mRTTP50, mRTTP99, mPeakRSS, mFailed}
	case "handshakes":
		return []Metric{mHSRate, mHSP50, mHSP90, mHSP99, mCPUPerHS, mFailed}
	case "idle":
		return []Metric{mRSSPerConn, mRSSAfter, mHSRate, mFailed}
	}
	return []Metric{mFailed}
}
