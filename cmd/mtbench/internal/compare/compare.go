package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
)

// ErrLabel means a report's label is not "scenario/variant".
var ErrLabel = errors.New("compare: report label is not scenario/variant")

// Load reads JSON reports from files.
func Load(paths []string) ([]*report.Report, error) {
	var out []*report.Report
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var r report.Report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("compare: %s: %w", p, err)
		}
		out = append(out, &r)
	}
	return out, nil
}

// splitLabel cuts "scenario/variant" at its last slash.
func splitLabel(l string) (scenario, variant string, err error) {
	i := strings.LastIndexByte(l, '/')
	if i <= 0 || i == len(l)-1 {
		return "", "", fmt.Errorf("%w: %q", ErrLabel, l)
	}
	return l[:i], l[i+1:], nil
}

// Write prints one markdown table per scenario, in the order scenarios first
// appear: for each metric, the median (and range) of every variant, base
// first, and each other variant's median over base's.
func Write(w io.Writer, reports []*report.Report, base string) error {
	type key struct{ scenario, variant string }
	groups := map[key][]*report.Report{}
	var scenarios []string
	variants := map[string][]string{}
	for _, r := range reports {
		s, v, err := splitLabel(r.Label)
		if err != nil {
			return err
		}
		k := key{s, v}
		if _, ok := variants[s]; !ok {
			scenarios = append(scenarios, s)
		}
		if groups[k] == nil {
			variants[s] = append(variants[s], v)
		}
		groups[k] = append(groups[k], r)
	}
	var b strings.Builder
	for _, s := range scenarios {
		vs := variants[s]
		slices.Sort(vs)
		if i := slices.Index(vs, base); i > 0 {
			vs = slices.Insert(slices.Delete(vs, i, i+1), 0, base)
		}
		first := groups[key{s, vs[0]}][0]
		fmt.Fprintf(&b, "### %s\n\n%s\n\n", s, describe(first))
		b.WriteString("| metric |")
		for _, v := range vs {
			g := groups[key{s, v}]
			fmt.Fprintf(&b, " %s (%s, n=%d) |", v, g[0].Mode, len(g))
		}
		for _, v := range vs[1:] {
			fmt.Fprintf(&b, " %s / %s |", v, vs[0])
		}
		b.WriteString("\n|---|" + strings.Repeat("---|", 2*len(vs)-1) + "\n")
		ncpu := 0
		for _, v := range vs {
			for _, r := range groups[key{s, v}] {
				ncpu = max(ncpu, len(r.CPUBusy))
			}
		}
		for _, m := range append(MetricsFor(first.Workload), CPUMetrics(ncpu)...) {
			meds := make([]float64, len(vs))
			row := "| " + m.Name + " |"
			any := false
			for i, v := range vs {
				med, lo, hi, n := summarize(groups[key{s, v}], m)
				meds[i] = med
				if n == 0 {
					row += " – |"
					continue
				}
				any = true
				row += " " + m.Format(med)
				if n > 1 && lo != hi {
					row += " (" + m.Format(lo) + " – " + m.Format(hi) + ")"
				}
				row += " |"
			}
			if !any {
				continue
			}
			for i := range vs[1:] {
				row += " " + ratio(meds[i+1], meds[0], m) + " |"
			}
			b.WriteString(row + "\n")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// summarize returns the median, min and max of m over rs, and how many
// reports had it.
func summarize(rs []*report.Report, m Metric) (med, lo, hi float64, n int) {
	var xs []float64
	for _, r := range rs {
		if v, ok := m.Value(r); ok {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return math.NaN(), 0, 0, 0
	}
	return stats.Median(xs), slices.Min(xs), slices.Max(xs), len(xs)
}

// ratio formats v/base, marking which way is better unless m is neutral.
func ratio(v, base float64, m Metric) string {
	if math.IsNaN(v) || math.IsNaN(base) {
		return "–"
	}
	if base == 0 {
		if v == 0 {
			return "="
		}
		return "n/a"
	}
	x := v / base
	s := strconv.FormatFloat(x, 'f', 2, 64) + "×"
	hb := m.HigherBetter
	switch {
	case m.Neutral:
	case x > 1.05 && hb, x < 0.95 && !hb:
		s += " better"
	case x < 0.95 && hb, x > 1.05 && !hb:
		s += " worse"
	}
	return s
}

// describe says what a scenario's runs did.
func describe(r *report.Report) string {
	s := r.Workload
	if r.Direction != "" {
		s += " " + r.Direction
	}
	switch r.Workload {
	case "handshakes":
		s += fmt.Sprintf(", %d parallel workers for %v", r.Conns, r.Elapsed.Round(1e9))
	case "idle":
		s += fmt.Sprintf(", %d connections", r.Conns)
	default:
		s += fmt.Sprintf(", %d connections x %s each way", r.Conns, report.Bytes(r.BytesPerConn))
	}
	if r.PacketSize > 0 {
		s += fmt.Sprintf(" in %d-byte packets, window %d", r.PacketSize, r.Window)
	}
	return s + "; medians (min – max) over the runs"
}

// fmtG prints three significant digits and a unit.
func fmtG(v float64, unit string) string {
	var s string
	switch a := math.Abs(v); {
	case a >= 100 || a == 0:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	if unit == "" {
		return s
	}
	if unit == "/s" || unit == "%" {
		return s + unit
	}
	return s + " " + unit
}
