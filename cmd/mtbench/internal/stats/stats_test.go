package stats

import (
	"math"
	"testing"
	"time"
)

func ms(xs ...int) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

// The nearest-rank examples of the Wikipedia "Percentile" article:
// {15, 20, 35, 40, 50}: P30 = 20, P40 = 20, P50 = 35, P100 = 50.
func TestPercentileNearestRankVectors(t *testing.T) {
	s := ms(15, 20, 35, 40, 50)
	for _, c := range []struct {
		p    float64
		want int
	}{{5, 15}, {30, 20}, {40, 20}, {50, 35}, {100, 50}} {
		if got := Percentile(s, c.p); got != time.Duration(c.want)*time.Millisecond {
			t.Errorf("P%v = %v, want %dms", c.p, got, c.want)
		}
	}
	// {3, 6, 7, 8, 8, 10, 13, 15, 16, 20}: P25 = 7, P50 = 8, P75 = 15, P100 = 20.
	s = ms(3, 6, 7, 8, 8, 10, 13, 15, 16, 20)
	for _, c := range []struct {
		p    float64
		want int
	}{{25, 7}, {50, 8}, {75, 15}, {90, 16}, {100, 20}} {
		if got := Percentile(s, c.p); got != time.Duration(c.want)*time.Millisecond {
			t.Errorf("P%v = %v, want %dms", c.p, got, c.want)
		}
	}
}

func TestPercentileBoundaries(t *testing.T) {
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
	one := ms(7)
	for _, p := range []float64{-1, 0, 1, 50, 99, 100, 101} {
		if got := Percentile(one, p); got != 7*time.Millisecond {
			t.Errorf("single sample P%v = %v", p, got)
		}
	}
	s := ms(1, 2, 3)
	if got := Percentile(s, 0); got != time.Millisecond {
		t.Errorf("P0 = %v", got)
	}
	if got := Percentile(s, 200); got != 3*time.Millisecond {
		t.Errorf("P200 = %v", got)
	}
}

// P99 of 1..1000 is 990 and P99 of 1..100 is 99: the rank is exactly p*n/100.
func TestPercentileExactRanks(t *testing.T) {
	for _, n := range []int{100, 1000, 10000} {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i + 1)
		}
		for _, p := range []float64{50, 90, 99} {
			want := time.Duration(int(p) * n / 100)
			if got := Percentile(s, p); got != want {
				t.Errorf("n=%d P%v = %d, want %d", n, p, got, want)
			}
		}
	}
}

func TestSummarize(t *testing.T) {
	if (Summarize(nil) != Summary{}) {
		t.Error("empty summary not zero")
	}
	s := ms(50, 10, 40, 20, 30) // unsorted on purpose
	got := Summarize(s)
	want := Summary{
		Count: 5, Min: 10 * time.Millisecond, Mean: 30 * time.Millisecond,
		P50: 30 * time.Millisecond, P90: 50 * time.Millisecond,
		P99: 50 * time.Millisecond, Max: 50 * time.Millisecond,
	}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if s[0] != 10*time.Millisecond || s[4] != 50*time.Millisecond {
		t.Errorf("samples not sorted in place: %v", s)
	}
}

func TestMedian(t *testing.T) {
	if !math.IsNaN(Median(nil)) {
		t.Error("median of nothing is not NaN")
	}
	xs := []float64{3, 1, 2}
	if got := Median(xs); got != 2 {
		t.Errorf("odd: %v", got)
	}
	if xs[0] != 3 {
		t.Error("Median reordered its input")
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("even: %v", got)
	}
}
