package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
)

// WriteJSON writes r as one indented JSON document.
func WriteJSON(w io.Writer, r *Report) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// WriteText writes r for people to read.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	if r.Label != "" {
		fmt.Fprintf(&b, "%s\n", r.Label)
	}
	fmt.Fprintf(&b, "target %s, mode %s, workload %s", r.Target, r.Mode, r.Workload)
	if r.Direction != "" {
		fmt.Fprintf(&b, " %s", r.Direction)
	}
	fmt.Fprintf(&b, ", %d conns", r.Conns)
	if r.BytesPerConn > 0 {
		fmt.Fprintf(&b, " x %s each way", Bytes(r.BytesPerConn))
	}
	if r.PacketSize > 0 {
		fmt.Fprintf(&b, ", packets of %d B, window %d", r.PacketSize, r.Window)
	}
	if r.Ramp > 0 {
		fmt.Fprintf(&b, ", ramp %v", r.Ramp)
	}
	fmt.Fprintf(&b, "\nelapsed %v, ok %d, failed %d\n", r.Elapsed.Round(time.Millisecond), r.OK, r.Failed)
	for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
		fmt.Fprintf(&b, "  error x%d: %s", r.Errors[k], k)
		if d := r.ErrorSamples[k]; d != "" && d != k {
			fmt.Fprintf(&b, " (first: %s)", d)
		}
		b.WriteString("\n")
	}
	if r.BytesUp > 0 || r.BytesDown > 0 {
		fmt.Fprintf(&b, "throughput up %s, down %s, total %s\n", Rate(r.UpRate), Rate(r.DownRate), Rate(r.TotalRate))
	}
	if r.HandshakeRate > 0 {
		fmt.Fprintf(&b, "handshakes %.0f/s\n", r.HandshakeRate)
	}
	if r.Handshake.Count > 0 {
		fmt.Fprintf(&b, "handshake latency %s\n", Latency(r.Handshake))
	}
	if r.Latency.Count > 0 {
		fmt.Fprintf(&b, "%s %s\n", r.LatencyOf, Latency(r.Latency))
	}
	if p := r.Proxy; p != nil {
		fmt.Fprintf(&b, "proxy pid %d: RSS %s -> %s (peak %s), CPU %v",
			p.PID, Bytes(p.Before.RSS), Bytes(p.After.RSS), Bytes(p.PeakRSS), p.CPU.Round(time.Millisecond))
		if total := r.BytesUp + r.BytesDown; total > 0 && p.CPU > 0 {
			fmt.Fprintf(&b, " (%s per CPU second)", Rate(float64(total)/p.CPU.Seconds()))
		}
		if p.RSSPerConn != 0 {
			fmt.Fprintf(&b, ", %s per idle connection", Bytes(p.RSSPerConn))
		}
		b.WriteString("\n")
	}
	if len(r.CPUBusy) > 0 {
		b.WriteString("machine CPU busy:")
		for i, f := range r.CPUBusy {
			fmt.Fprintf(&b, " cpu%d %.0f%%", i, 100*f)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Latency formats a summary's count and percentiles.
func Latency(s stats.Summary) string {
	return fmt.Sprintf("n=%d min %v p50 %v p90 %v p99 %v max %v",
		s.Count, round(s.Min), round(s.P50), round(s.P90), round(s.P99), round(s.Max))
}

// round keeps three significant figures or so.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// Rate formats bytes per second as MB/s (10^6).
func Rate(bps float64) string { return fmt.Sprintf("%.1f MB/s", bps/1e6) }

// Bytes formats a byte count with binary units.
func Bytes(n int64) string {
	neg := ""
	if n < 0 {
		neg, n = "-", -n
	}
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%s%.2f GiB", neg, float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%s%.1f MiB", neg, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%s%.1f KiB", neg, float64(n)/(1<<10))
	}
	return fmt.Sprintf("%s%d B", neg, n)
}
