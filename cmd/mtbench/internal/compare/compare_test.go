package compare

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
)

func transfer(label string, mbps float64, cpu time.Duration) *report.Report {
	r := &report.Report{Label: label, Mode: "faketls", Workload: "transfer", Direction: "up",
		Conns: 8, BytesPerConn: 64 << 20, Elapsed: time.Second, OK: 8,
		BytesUp: int64(mbps * 1e6),
		Latency: stats.Summary{P50: 500 * time.Millisecond, P99: 900 * time.Millisecond},
		Proxy:   &report.ProxyUsage{CPU: cpu, PeakRSS: 20 << 20},
		CPUBusy: []float64{0.99, cpu.Seconds() / 2},
	}
	r.Finish()
	return r
}

func TestWriteMediansAndRatios(t *testing.T) {
	rs := []*report.Report{
		// Variant order in the input is mixed on purpose; base goes first.
		transfer("tput/ours", 300, time.Second),
		transfer("tput/mtg", 100, time.Second),
		transfer("tput/ours", 500, time.Second),
		transfer("tput/mtg", 150, time.Second),
		transfer("tput/ours", 400, 2*time.Second),
		transfer("tput/mtg", 120, time.Second),
		{Label: "idle/mtg", Workload: "idle", Mode: "faketls", Conns: 100, OK: 100,
			Proxy: &report.ProxyUsage{Before: procfs.Memory{RSS: 0}, After: procfs.Memory{RSS: 100 << 20}, RSSPerConn: 20 << 10}},
		{Label: "idle/ours", Workload: "idle", Mode: "faketls", Conns: 100, OK: 100,
			Proxy: &report.ProxyUsage{After: procfs.Memory{RSS: 10 << 20}, RSSPerConn: 5 << 10}},
	}
	var b strings.Builder
	if err := Write(&b, rs, "mtg"); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"### tput\n\ntransfer up, 8 connections x 64.0 MiB each way; medians (min – max) over the runs\n",
		"| metric | mtg (faketls, n=3) | ours (faketls, n=3) | ours / mtg |\n|---|---|---|---|\n",
		// medians 120 and 400: 3.33x; CPU efficiency medians 120 vs 300.
		"| throughput (up+down) | 120 MB/s (100 MB/s – 150 MB/s) | 400 MB/s (300 MB/s – 500 MB/s) | 3.33× better |",
		"| bytes per proxy CPU-second | 120 MB/s (100 MB/s – 150 MB/s) | 300 MB/s (200 MB/s – 500 MB/s) | 2.50× better |",
		"| transfer time p99 | 900 ms | 900 ms | 1.00× |",
		// CPU 1s over 1s elapsed for every mtg run; ours 1, 1, 2 s.
		"| proxy CPU use (of its one core) | 100% | 100% (100% – 200%) | 1.00× |",
		"| transfer time p50 | 500 ms | 500 ms | 1.00× |",
		"| failed connections | 0 | 0 | = |",
		"| CPU 0 busy (machine) | 99.0% | 99.0% | 1.00× |",
		"| CPU 1 busy (machine) | 50.0% | 50.0% (50.0% – 100%) | 1.00× |",
		"### idle\n",
		"| proxy RSS per idle connection | 20.0 KiB | 5.00 KiB | 0.25× better |",
		"| proxy RSS with all connections open | 100 MiB | 10.0 MiB | 0.10× better |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got[strings.Index(got, "### idle"):], "CPU 0 busy") {
		t.Error("CPU rows for reports without CPU data")
	}
	if strings.Index(got, "### tput") > strings.Index(got, "### idle") {
		t.Error("scenarios not in first-seen order")
	}
}

func TestWriteSingleVariant(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, []*report.Report{transfer("solo/ours", 10, time.Second)}, "mtg"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| metric | ours (faketls, n=1) |\n|---|---|\n| throughput (up+down) | 10.0 MB/s |") {
		t.Errorf("single variant table:\n%s", b.String())
	}
}

func TestBadLabels(t *testing.T) {
	for _, l := range []string{"", "noslash", "/variant", "scenario/"} {
		err := Write(&strings.Builder{}, []*report.Report{{Label: l}}, "x")
		if !errors.Is(err, ErrLabel) {
			t.Errorf("%q: %v", l, err)
		}
	}
}

func TestRatio(t *testing.T) {
	for _, c := range []struct {
		v, base float64
		higher  bool
		want    string
	}{
		{2, 1, true, "2.00× better"}, {2, 1, false, "2.00× worse"},
		{0.5, 1, true, "0.50× worse"}, {0.5, 1, false, "0.50× better"},
		{1.02, 1, true, "1.02×"}, {0, 0, true, "="}, {1, 0, true, "n/a"},
	} {
		if got := ratio(c.v, c.base, Metric{HigherBetter: c.higher}); got != c.want {
			t.Errorf("ratio(%v, %v, %v) = %q, want %q", c.v, c.base, c.higher, got, c.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(f, transfer("x/y", 1, time.Second)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rs, err := Load([]string{p})
	if err != nil || len(rs) != 1 || rs[0].Label != "x/y" {
		t.Fatalf("%v %v", rs, err)
	}
	os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o644)
	if _, err := Load([]string{filepath.Join(dir, "bad.json")}); err == nil {
		t.Error("bad JSON loaded")
	}
}

func TestRatioNeutral(t *testing.T) {
	if got := ratio(2, 1, Metric{Neutral: true}); got != "2.00×" {
		t.Errorf("neutral ratio %q", got)
	}
}

func TestDur(t *testing.T) {
	for ns, want := range map[float64]string{
		850: "0.85 µs", 1500: "1.50 µs", 705_000: "705 µs", 11_495_000: "11.5 ms",
		2_500_000: "2.50 ms", 1_200_000_000: "1.20 s", 0: "0 µs",
	} {
		if got := dur(ns); got != want {
			t.Errorf("dur(%v) = %q, want %q", ns, got, want)
		}
	}
}
