package compare

import (
	"fmt"
	"math"
	"time"

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
	// Neutral metrics describe a run without a better direction (CPU use:
	// less of it may just mean the proxy was starved).
	Neutral bool
}

func mbps(v float64) string   { return fmtG(v/1e6, "MB/s") }
func mib(v float64) string    { return fmtG(v/(1<<20), "MiB") }
func kib(v float64) string    { return fmtG(v/(1<<10), "KiB") }
func perSec(v float64) string { return fmtG(v, "/s") }
func pct(v float64) string    { return fmtG(100*v, "%") }

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

// Directions of the metrics.
const (
	higher  = iota // higher is better
	lower          // lower is better
	neutral        // no better direction
)

func metric(name string, dir int, format func(float64) string, value func(*report.Report) (float64, bool)) Metric {
	return Metric{Name: name, HigherBetter: dir == higher, Neutral: dir == neutral, Format: format, Value: value}
}

// MetricsFor returns the metrics reported for a workload.
func MetricsFor(workload string) []Metric {
	throughput := metric("throughput (up+down)", higher, mbps, always(func(r *report.Report) float64 { return r.TotalRate }))
	cpuEff := metric("bytes per proxy CPU-second", higher, mbps, proxy(func(p *report.ProxyUsage, r *report.Report) (float64, bool) {
		s := p.CPU.Seconds()
		return float64(r.BytesUp+r.BytesDown) / s, s > 0
	}))
	cpuUse := metric("proxy CPU use (of its one core)", neutral, pct, proxy(func(p *report.ProxyUsage, r *report.Report) (float64, bool) {
		return p.CPU.Seconds() / r.Elapsed.Seconds(), r.Elapsed > 0
	}))
	peakRSS := metric("proxy peak RSS", lower, mib, proxy(func(p *report.ProxyUsage, _ *report.Report) (float64, bool) {
		return float64(p.PeakRSS), true
	}))
	latency := func(name string, f func(r *report.Report) time.Duration) Metric {
		return metric(name, lower, dur, always(func(r *report.Report) float64 { return float64(f(r)) }))
	}
	hsRate := metric("handshakes per second", higher, perSec, always(func(r *report.Report) float64 { return r.HandshakeRate }))
	failed := metric("failed connections", lower, func(v float64) string { return fmtG(v, "") },
		always(func(r *report.Report) float64 { return float64(r.Failed) }))

	switch workload {
	case "transfer":
		return []Metric{throughput, cpuEff, cpuUse,
			latency("transfer time p50", func(r *report.Report) time.Duration { return r.Latency.P50 }),
			latency("transfer time p99", func(r *report.Report) time.Duration { return r.Latency.P99 }),
			peakRSS, failed}
	case "echo":
		return []Metric{throughput, cpuEff, cpuUse,
			latency("packet RTT p50", func(r *report.Report) time.Duration { return r.Latency.P50 }),
			latency("packet RTT p99", func(r *report.Report) time.Duration { return r.Latency.P99 }),
			peakRSS, failed}
	case "handshakes":
		return []Metric{hsRate,
			metric("proxy CPU per handshake", lower, dur, proxy(func(p *report.ProxyUsage, r *report.Report) (float64, bool) {
				return float64(p.CPU) / float64(r.OK), r.OK > 0
			})),
			cpuUse,
			latency("handshake latency p50", func(r *report.Report) time.Duration { return r.Handshake.P50 }),
			latency("handshake latency p90", func(r *report.Report) time.Duration { return r.Handshake.P90 }),
			latency("handshake latency p99", func(r *report.Report) time.Duration { return r.Handshake.P99 }),
			failed}
	case "idle":
		return []Metric{
			metric("proxy RSS per idle connection", lower, kib, proxy(func(p *report.ProxyUsage, _ *report.Report) (float64, bool) {
				return float64(p.RSSPerConn), true
			})),
			metric("proxy RSS with all connections open", lower, mib, proxy(func(p *report.ProxyUsage, _ *report.Report) (float64, bool) {
				return float64(p.After.RSS), true
			})),
			// The proxy's CPU over the whole run (opening, handshake and
			// probe of every connection, then holding them) per connection.
			metric("proxy CPU per idle connection (its handshake included)", lower, dur, proxy(func(p *report.ProxyUsage, r *report.Report) (float64, bool) {
				return float64(p.CPU) / float64(r.OK), r.OK > 0
			})),
			hsRate, failed}
	}
	return []Metric{failed}
}

// CPUMetrics returns the busy fraction of CPUs 0..n-1 (whole machine).
func CPUMetrics(n int) []Metric {
	var ms []Metric
	for i := range n {
		ms = append(ms, metric(fmt.Sprintf("CPU %d busy (machine)", i), neutral, pct,
			func(r *report.Report) (float64, bool) {
				if i >= len(r.CPUBusy) {
					return 0, false
				}
				return r.CPUBusy[i], true
			}))
	}
	return ms
}
