package metrics

import (
	"testing"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
)

// The carrier's events show up under their labels.
func TestWebProxyObserver(t *testing.T) {
	m := New(Options{})
	o := m.WebProxyObserver()
	o.SessionOpened()
	o.SessionOpened()
	o.SessionClosed()
	o.Stream(webproxy.StreamServed)
	o.Stream(webproxy.StreamRefused)
	o.Stream(webproxy.StreamRefused)
	o.CarrierBytes(webproxy.FromClient, 100)
	o.CarrierBytes(webproxy.ToClient, 7)
	o.PageServed()
	o.SiteFallback(webproxy.FallbackToken)
	o.LimitHit(webproxy.LimitPending)
	o.LimitHit(webproxy.Limit(200)) // out of the set: ignored
	f := families(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mtproxy_webproxy_sessions", nil, 1},
		{"mtproxy_webproxy_sessions_total", nil, 2},
		{"mtproxy_webproxy_streams_total", []string{"result", "served"}, 1},
		{"mtproxy_webproxy_streams_total", []string{"result", "refused"}, 2},
		{"mtproxy_webproxy_streams_total", []string{"result", "engine_refused"}, 0},
		{"mtproxy_webproxy_bytes_total", []string{"direction", "from_client"}, 100},
		{"mtproxy_webproxy_bytes_total", []string{"direction", "to_client"}, 7},
		{"mtproxy_webproxy_pages_total", nil, 1},
		{"mtproxy_webproxy_site_fallbacks_total", []string{"reason", "token"}, 1},
		{"mtproxy_webproxy_site_fallbacks_total", []string{"reason", "path"}, 0},
		{"mtproxy_webproxy_limit_hits_total", []string{"limit", "pending"}, 1},
	} {
		if got := value(t, f, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
