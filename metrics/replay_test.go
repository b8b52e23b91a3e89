package metrics

import "testing"

// The replay cache's size and evictions come from the engine at scrape
// time.
func TestReplayCacheMetrics(t *testing.T) {
	m, _ := populated(t, ModeDirect)
	fams := families(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mtproxy_replay_cache_entries", nil, 17},
		{"mtproxy_replay_cache_evictions_total", []string{"reason", "expired"}, 40},
		{"mtproxy_replay_cache_evictions_total", []string{"reason", "full"}, 3},
	} {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
