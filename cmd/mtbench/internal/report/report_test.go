package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
)

func sample() *Report {
	r := &Report{
		Label: "tput-up ours", Target: "127.0.0.1:443", Mode: "faketls",
		Workload: "transfer", Direction: "up", Conns: 8, BytesPerConn: 64 << 20,
		Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Elapsed: 2 * time.Second, OK: 8,
		BytesUp: 8 * 64 << 20, LatencyOf: "transfer time",
		Latency: stats.Summary{Count: 8, Min: time.Second, P50: 1500 * time.Millisecond,
			P90: 1900 * time.Millisecond, P99: 2 * time.Second, Max: 2 * time.Second},
		Handshake: stats.Summary{Count: 8, Min: 300 * time.Microsecond, P50: 412 * time.Microsecond,
			P90: 2345 * time.Microsecond, P99: 3 * time.Millisecond, Max: 3 * time.Millisecond},
		Proxy: &ProxyUsage{PID: 42, Before: procfs.Memory{RSS: 10 << 20}, After: procfs.Memory{RSS: 12 << 20},
			PeakRSS: 13 << 20, CPU: 1500 * time.Millisecond},
		CPUBusy: []float64{0.995, 0.5},
	}
	r.Finish()
	return r
}

func TestFinishRates(t *testing.T) {
	r := sample()
	// 512 MiB in 2 s.
	want := float64(512<<20) / 2
	if r.UpRate != want || r.DownRate != 0 || r.TotalRate != want {
		t.Errorf("rates %v %v %v, want up=total=%v", r.UpRate, r.DownRate, r.TotalRate, want)
	}
	if r.HandshakeRate != 0 {
		t.Error("a transfer run reported a handshake rate")
	}
	idle := &Report{Workload: "idle", OK: 1000, Elapsed: 4 * time.Second,
		Handshake: stats.Summary{Count: 1000},
		Proxy:     &ProxyUsage{Before: procfs.Memory{RSS: 10 << 20}, After: procfs.Memory{RSS: 30 << 20}}}
	idle.Finish()
	if idle.HandshakeRate != 250 {
		t.Errorf("idle handshake rate %v, want 250", idle.HandshakeRate)
	}
	if idle.Proxy.RSSPerConn != (20<<20)/1000 {
		t.Errorf("per conn %d", idle.Proxy.RSSPerConn)
	}
	zero := &Report{BytesUp: 5}
	zero.Finish() // no elapsed time: no division by zero
	if zero.UpRate != 0 {
		t.Error("rate without elapsed time")
	}
}

func TestAddErrorBounded(t *testing.T) {
	var r Report
	for i := 0; i < 20; i++ {
		r.AddError(fmt.Sprintf("error %d", i), fmt.Sprintf("detail %d", i))
	}
	r.AddError("error 0", "another detail")
	if r.Failed != 21 {
		t.Errorf("failed %d", r.Failed)
	}
	if len(r.Errors) != MaxErrorKinds+1 || r.Errors["(other errors)"] != 12 || r.Errors["error 0"] != 2 {
		t.Errorf("errors %v", r.Errors)
	}
	if r.ErrorSamples["error 0"] != "detail 0" || r.ErrorSamples["(other errors)"] != "detail 8" {
		t.Errorf("samples %v", r.ErrorSamples)
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sample()); err != nil {
		t.Fatal(err)
	}
	want := `tput-up ours
target 127.0.0.1:443, mode faketls, workload transfer up, 8 conns x 64.0 MiB each way
elapsed 2s, ok 8, failed 0
throughput up 268.4 MB/s, down 0.0 MB/s, total 268.4 MB/s
handshake latency n=8 min 300µs p50 412µs p90 2.35ms p99 3ms max 3ms
transfer time n=8 min 1s p50 1.5s p90 1.9s p99 2s max 2s
proxy pid 42: RSS 10.0 MiB -> 12.0 MiB (peak 13.0 MiB), CPU 1.5s (357.9 MB/s per CPU second)
machine CPU busy: cpu0 100% cpu1 50%
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var b bytes.Buffer
	in := sample()
	in.AddError("dial: refused", "client: dial tcp 127.0.0.1:1: connect: connection refused")
	if err := WriteJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"up_bps"`, `"handshake_latency"`, `"p99_ns"`, `"rss"`, `"cpu_ns"`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	var out Report
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.UpRate != in.UpRate || out.Latency != in.Latency || *out.Proxy != *in.Proxy ||
		out.Errors["dial: refused"] != 1 || out.ErrorSamples["dial: refused"] != in.ErrorSamples["dial: refused"] || !out.Started.Equal(in.Started) || len(out.CPUBusy) != 2 || out.CPUBusy[1] != 0.5 {
		t.Errorf("round trip lost data:\n%+v\n%+v", out, in)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		5 << 20: "5.0 MiB", 3 << 30: "3.00 GiB", -2048: "-2.0 KiB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
