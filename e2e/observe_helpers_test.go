package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// series is one Prometheus sample: its name and labels.
type series struct {
	name   string
	labels map[string]string
}

// parseSample splits a text-format sample line into its series and value.
// It handles the label values this proxy emits (no escaped quotes or commas).
func parseSample(line string) (series, float64, bool) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 {
		return series{}, 0, false
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return series{}, 0, false
	}
	head := line[:sp]
	s := series{labels: map[string]string{}}
	name, rest, hasLabels := strings.Cut(head, "{")
	s.name = name
	if hasLabels {
		for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			k, val, ok := strings.Cut(kv, "=")
			if ok {
				s.labels[k] = strings.Trim(val, `"`)
			}
		}
	}
	return s, v, true
}

// metric returns the value of the series name with exactly labels on the
// proxy's /metrics, and whether it is there at all.
func metric(t testing.TB, p *proc, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	code, body := get(t, p.internal()+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics answered %d", code)
	}
	for _, l := range lines(body) {
		if strings.HasPrefix(l, "#") {
			continue
		}
		s, v, ok := parseSample(l)
		if !ok || s.name != name || len(s.labels) != len(labels) {
			continue
		}
		match := true
		for k, want := range labels {
			if s.labels[k] != want {
				match = false
			}
		}
		if match {
			return v, true
		}
	}
	return 0, false
}

// waitMetric polls /metrics until the series reaches at least want.
func waitMetric(t testing.TB, p *proc, name string, labels map[string]string, want float64) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		v, ok := metric(t, p, name, labels)
		if ok && v >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v is %v (present %v), want at least %v", name, labels, v, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// handshakes is the label set of mtproxy_client_handshakes_total.
func handshakes(transport, result string) map[string]string {
	return map[string]string{"transport": transport, "result": result}
}

// statsPage reads the official /stats page into a map.
func statsPage(t testing.TB, p *proc) map[string]string {
	t.Helper()
	code, body := get(t, p.internal()+"/stats")
	if code != http.StatusOK {
		t.Fatalf("/stats answered %d", code)
	}
	m := map[string]string{}
	for _, l := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(l, "\t"); ok {
			m[k] = v
		}
	}
	return m
}

// statsValue returns the value of key on the official /stats page.
func statsValue(t testing.TB, p *proc, key string) (string, bool) {
	t.Helper()
	v, ok := statsPage(t, p)[key]
	return v, ok
}

// waitCount waits until the counter reaches want and checks it did not
// pass it: each event counted once.
func waitCount(t testing.TB, p *proc, name string, labels map[string]string, want float64) {
	t.Helper()
	waitMetric(t, p, name, labels, want)
	if v, _ := metric(t, p, name, labels); v != want {
		t.Fatalf("%s%v is %v, want exactly %v", name, labels, v, want)
	}
}

// waitMetricAtMost polls /metrics until the series is at most want.
func waitMetricAtMost(t testing.TB, p *proc, name string, labels map[string]string, want float64) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for {
		v, ok := metric(t, p, name, labels)
		if ok && v <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v is %v (present %v), want at most %v", name, labels, v, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
