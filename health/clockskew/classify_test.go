package clockskew

import (
	"math"
	"testing"
	"time"
)

func TestClassifyDefaults(t *testing.T) {
	cases := []struct {
		offset time.Duration
		want   Severity
	}{
		{0, OK},
		{2 * time.Second, OK}, // the thresholds are strict
		{-2 * time.Second, OK},
		{2*time.Second + 1, Warning},
		{-2*time.Second - 1, Warning},
		{5 * time.Second, Warning},
		{5*time.Second + 1, Critical},
		{-31 * time.Second, Critical},
		{math.MaxInt64, Critical},
		{math.MinInt64, Critical},
	}
	for _, c := range cases {
		if got := Classify(c.offset, Options{}); got != c.want {
			t.Errorf("Classify(%v) = %v, want %v", c.offset, got, c.want)
		}
	}
}

func TestClassifyCustomThresholds(t *testing.T) {
	o := Options{WarnAfter: 100 * time.Millisecond, CriticalAfter: 30 * time.Second}
	if got := Classify(time.Second, o); got != Warning {
		t.Errorf("1s = %v", got)
	}
	if got := Classify(-30*time.Second, o); got != Warning {
		t.Errorf("-30s = %v", got)
	}
	if got := Classify(31*time.Second, o); got != Critical {
		t.Errorf("31s = %v", got)
	}
}

func TestSeverityString(t *testing.T) {
	for s, want := range map[Severity]string{OK: "ok", Warning: "warning", Critical: "critical", 7: "unknown"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", int(s), s.String())
		}
	}
}
