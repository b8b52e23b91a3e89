package metrics

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/users"
)

// With a users registry the secret series are its top N plus other, and
// the rejections and states are counted, on /metrics and /stats alike.
func TestUsersSeriesAndRejections(t *testing.T) {
	reg := users.New(users.Options{})
	specs := []users.Spec{
		{Name: "big", Key: [16]byte{1}, Enabled: true, Quota: 1 << 30},
		{Name: "small", Key: [16]byte{2}, Enabled: true},
		{Name: "tiny", Key: [16]byte{3}, Enabled: true},
		{Name: "off", Key: [16]byte{4}},
	}
	if err := reg.Apply(specs); err != nil {
		t.Fatal(err)
	}
	snap := reg.Snapshot()
	find := func(k byte) int {
		for i, key := range snap.Keys() {
			if key[0] == k {
				return i
			}
		}
		t.Fatalf("no key %d", k)
		return -1
	}
	addr := netip.MustParseAddr("192.0.2.1")
	for k, n := range map[byte]int{1: 5000, 2: 300, 3: 10} {
		l, why := reg.Admit(snap, find(k), addr)
		if why != users.Admitted {
			t.Fatal(why)
		}
		l.Account(n, 0)
		l.Release()
	}
	if _, why := reg.Admit(snap, find(4), addr); why != users.Disabled {
		t.Fatal(why)
	}
	m := New(Options{Secrets: []string{"0"}})
	m.SetUsers(reg, 1)
	fams := families(t, m)
	series := map[string]float64{}
	for _, name := range []string{"mtproxy_secret_traffic_bytes_total", "mtproxy_users_rejections_total", "mtproxy_users", "mtproxy_secret_quota_used_bytes"} {
		for _, mt := range fams[name].GetMetric() {
			var l []string
			for _, lp := range mt.GetLabel() {
				l = append(l, lp.GetValue())
			}
			v := mt.GetCounter().GetValue() + mt.GetGauge().GetValue()
			series[name+"{"+strings.Join(l, ",")+"}"] = v
		}
	}
	want := map[string]float64{
		"mtproxy_secret_traffic_bytes_total{from_client,big}":   5000,
		"mtproxy_secret_traffic_bytes_total{from_client,other}": 310,
		"mtproxy_secret_quota_used_bytes{big}":                  5000,
		"mtproxy_users_rejections_total{disabled}":              1,
		"mtproxy_users_rejections_total{quota}":                 0,
		"mtproxy_users{active}":                                 3,
		"mtproxy_users{disabled}":                               1,
	}
	for k, v := range want {
		if got, ok := series[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if _, ok := series["mtproxy_secret_traffic_bytes_total{from_client,small}"]; ok {
		t.Error("a user outside the top 1 has its own series")
	}
	page := string(StatsPage(m.Snapshot()))
	for _, line := range []string{"secret_big_bytes_from_client\t5000", "secret_other_bytes_from_client\t310", "users_rejected_disabled\t1", "users_active\t3"} {
		if !strings.Contains(page, line+"\n") {
			t.Errorf("/stats lacks %q", line)
		}
	}
}
