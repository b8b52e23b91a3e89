package report

import (
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
)

// Report is the result of one load-generator run.
type Report struct {
	// Label names the run (the -label flag): a scenario and a proxy, say.
	Label string `json:"label,omitempty"`
	// Target is the proxy address, Mode the client mode used.
	Target string `json:"target"`
	Mode   string `json:"mode"`
	// Workload is transfer, echo, handshakes or idle; Direction is up, down
	// or both for transfers.
	Workload  string `json:"workload"`
	Direction string `json:"direction,omitempty"`
	// Conns is the number of connections (transfer, echo, idle) or of
	// parallel workers (handshakes).
	Conns int `json:"conns"`
	// BytesPerConn is the payload asked for per connection, each way it
	// flows; PacketSize and Window describe echo runs.
	BytesPerConn int64         `json:"bytes_per_conn,omitempty"`
	PacketSize   int           `json:"packet_size,omitempty"`
	Window       int           `json:"window,omitempty"`
	Ramp         time.Duration `json:"ramp_ns,omitempty"`

	Started time.Time `json:"started"`
	// Elapsed is the measured phase: from the first transfer's start to the
	// last one's end (transfer, echo), the handshake loop (handshakes), or
	// the time to open every connection (idle).
	Elapsed time.Duration `json:"elapsed_ns"`

	// OK and Failed count connections (or handshakes); Errors counts
	// failures by kind, at most MaxErrorKinds kinds, and ErrorSamples keeps
	// the first full message of each kind.
	OK           int               `json:"ok"`
	Failed       int               `json:"failed"`
	Errors       map[string]int    `json:"errors,omitempty"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`

	// BytesUp went client -> proxy -> DC, BytesDown the other way, counted
	// when verified (or received, with verification off).
	BytesUp   int64 `json:"bytes_up"`
	BytesDown int64 `json:"bytes_down"`
	// UpRate, DownRate and TotalRate are the bytes over Elapsed, per second.
	UpRate    float64 `json:"up_bps"`
	DownRate  float64 `json:"down_bps"`
	TotalRate float64 `json:"total_bps"`

	// HandshakeRate is completed handshakes (with their probe) per second
	// of Elapsed.
	HandshakeRate float64 `json:"handshakes_per_sec"`
	// Handshake is the latency of TCP connect + proxy handshake + probe
	// round trip.
	Handshake stats.Summary `json:"handshake_latency"`
	// Latency is what LatencyOf says: each connection's transfer time, or
	// each echoed packet's round trip.
	LatencyOf string        `json:"latency_of,omitempty"`
	Latency   stats.Summary `json:"latency"`

	// Proxy is what /proc said about the proxy process, when one was named.
	Proxy *ProxyUsage `json:"proxy,omitempty"`
	// CPUBusy is each CPU's busy fraction (0..1) over the run, whole
	// machine: with the proxy and the load pinned to different CPUs it shows
	// which side was saturated.
	CPUBusy []float64 `json:"cpu_busy,omitempty"`
}

// MaxErrorKinds bounds the distinct error messages a Report keeps.
const MaxErrorKinds = 8

// AddError counts one failure of the given kind; detail is the full message,
// kept for the first failure of each kind.
func (r *Report) AddError(kind, detail string) {
	r.Failed++
	if r.Errors == nil {
		r.Errors, r.ErrorSamples = map[string]int{}, map[string]string{}
	}
	if _, ok := r.Errors[kind]; !ok && len(r.Errors) >= MaxErrorKinds {
		kind = "(other errors)"
	}
	if r.Errors[kind] == 0 {
		r.ErrorSamples[kind] = detail
	}
	r.Errors[kind]++
}

// ProxyUsage is the proxy process's resources around the measured phase.
type ProxyUsage struct {
	PID int `json:"pid"`
	// Before is read before the first connection, After at the end of the
	// measured phase (for idle runs: after the hold, connections still
	// open).
	Before procfs.Memory `json:"before"`
	After  procfs.Memory `json:"after"`
	// PeakRSS is the largest RSS sampled during the run.
	PeakRSS int64 `json:"peak_rss"`
	// CPU is the proxy's user+system CPU time over the run.
	CPU time.Duration `json:"cpu_ns"`
	// RSSPerConn is (After.RSS - Before.RSS) / OK, for idle runs.
	RSSPerConn int64 `json:"rss_per_conn,omitempty"`
}

// Finish computes the rates from the counters and Elapsed.
func (r *Report) Finish() {
	if r.Elapsed <= 0 {
		return
	}
	s := r.Elapsed.Seconds()
	r.UpRate = float64(r.BytesUp) / s
	r.DownRate = float64(r.BytesDown) / s
	r.TotalRate = float64(r.BytesUp+r.BytesDown) / s
	if r.Workload == "handshakes" || r.Workload == "idle" {
		r.HandshakeRate = float64(r.Handshake.Count) / s
	}
	if r.Proxy != nil && r.Workload == "idle" && r.OK > 0 {
		r.Proxy.RSSPerConn = (r.Proxy.After.RSS - r.Proxy.Before.RSS) / int64(r.OK)
	}
}
