package metrics

import (
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gatherSnapshot renders s through the Prometheus collector alone.
func gatherSnapshot(t *testing.T, s *Snapshot) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{snapshot: func() *Snapshot { return s }, d: newDescs()})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// TestPrometheusAndStatsAgree renders one snapshot both ways and checks
// that every number the two share is the same.
func TestPrometheusAndStatsAgree(t *testing.T) {
	for _, mode := range []Mode{ModeDirect, ModeMiddle, ModeAuto} {
		_, s := populated(t, mode)
		fams := gatherSnapshot(t, s)
		_, vals := parseStats(t, StatsPage(s))
		check := func(key string, prom float64) {
			t.Helper()
			got, err := strconv.ParseFloat(vals[key], 64)
			if err != nil {
				t.Errorf("%s: /stats %s = %q: %v", mode, key, vals[key], err)
				return
			}
			if got != prom {
				t.Errorf("%s: /stats %s = %v, Prometheus %v", mode, key, got, prom)
			}
		}
		check("total_special_connections", value(t, fams, "mtproxy_client_connections_active"))
		check("active_special_connections", value(t, fams, "mtproxy_client_connections_active"))
		check("total_max_special_connections", value(t, fams, "mtproxy_client_connections_limit"))
		check("inbound_connections_accepted", value(t, fams, "mtproxy_client_connections_accepted_total"))
		check("accept_connection_limit_failed", value(t, fams, "mtproxy_client_connections_rejected_total", "reason", "limit"))
		check("client_connections_rejected_shutdown", value(t, fams, "mtproxy_client_connections_rejected_total", "reason", "shutdown"))
		check("ready_targets", value(t, fams, "mtproxy_upstream_targets_ready"))
		check("total_ready_targets", value(t, fams, "mtproxy_upstream_targets_ready"))
		check("total_declared_targets", value(t, fams, "mtproxy_upstream_targets_declared"))
		check("targets_active", value(t, fams, "mtproxy_upstream_targets_active"))
		check("tot_forwarded_queries", value(t, fams, "mtproxy_middle_queries_total", "result", "forwarded"))
		check("dropped_queries", value(t, fams, "mtproxy_middle_queries_total", "result", "dropped"))
		check("tot_forwarded_responses", value(t, fams, "mtproxy_middle_responses_total", "result", "forwarded"))
		check("dropped_simple_acks", value(t, fams, "mtproxy_middle_simple_acks_total", "result", "dropped"))
		check("ext_connections", value(t, fams, "mtproxy_middle_ext_connections"))
		check("ext_connections_created", value(t, fams, "mtproxy_middle_ext_connections_created_total"))
		check("config_loaded_at", value(t, fams, "mtproxy_telegram_config_loaded_timestamp_seconds", "file", "config"))
		check("config_auth_clusters", value(t, fams, "mtproxy_telegram_config_dcs"))
		check("middle_rpc_bytes_sent", value(t, fams, "mtproxy_middle_rpc_bytes_total", "direction", "sent"))
		check("middle_connections_ready", sum(t, fams, "mtproxy_middle_connections", "state", "ready")-
			// A middle proxy serving 2 and -2 counts under both in Prometheus.
			value(t, fams, "mtproxy_middle_connections", "dc", "-2", "state", "ready")-
			value(t, fams, "mtproxy_middle_connections", "dc", "other", "state", "ready"))
		check("middle_handshakes_ok", sum(t, fams, "mtproxy_middle_handshakes_total", "result", "ok"))
		check("middle_disconnects_ping_timeout", value(t, fams, "mtproxy_middle_disconnects_total", "reason", "ping_timeout"))
		check("telegram_config_refreshes_fetch_failed", value(t, fams, "mtproxy_telegram_config_refreshes_total", "file", "config", "result", "fetch_failed"))
		check("handshakes_ok", sum(t, fams, "mtproxy_client_handshakes_total", "result", "ok"))
		check("handshakes_bad_secret", sum(t, fams, "mtproxy_client_handshakes_total", "result", "bad_secret"))
		check("fronting_done", sum(t, fams, "mtproxy_fronting_connections_total", "result", "done"))
		check("fronting_bytes_from_client", value(t, fams, "mtproxy_fronting_traffic_bytes_total", "direction", "from_client"))
		check("traffic_bytes_from_client", sum(t, fams, "mtproxy_client_traffic_bytes_total", "direction", "from_client"))
		check("traffic_bytes_to_client", sum(t, fams, "mtproxy_client_traffic_bytes_total", "direction", "to_client"))
		for _, sec := range []string{"alice", "bob", "2"} {
			check("secret_"+sec+"_connections_active", value(t, fams, "mtproxy_secret_connections_active", "secret", sec))
			check("secret_"+sec+"_connections_total", value(t, fams, "mtproxy_secret_connections_total", "secret", sec))
			check("secret_"+sec+"_bytes_to_client", value(t, fams, "mtproxy_secret_traffic_bytes_total", "secret", sec, "direction", "to_client"))
		}
		for _, d := range []string{"1", "2", "-2", "4", "203", "other"} {
			check("dc_"+d+"_up", value(t, fams, "mtproxy_upstream_up", "dc", d))
			check("dc_"+d+"_connections", value(t, fams, "mtproxy_upstream_connections_active", "dc", d))
			check("dc_"+d+"_bytes_from_client", value(t, fams, "mtproxy_client_traffic_bytes_total", "dc", d, "direction", "from_client"))
			check("dc_"+d+"_connect_ms", 1000*value(t, fams, "mtproxy_upstream_probe_connect_seconds", "dc", d))
			if value(t, fams, "mtproxy_upstream_path", "dc", d, "path", vals["dc_"+d+"_path"]) != 1 {
				t.Errorf("%s: dc_%s_path %q is not the Prometheus path", mode, d, vals["dc_"+d+"_path"])
			}
		}
		check("path_switches_to_direct", sum(t, fams, "mtproxy_upstream_path_switches_total", "to", "direct"))
		check("path_switches_to_middle", sum(t, fams, "mtproxy_upstream_path_switches_total", "to", "middle"))
		check("clock_skew_ntp_seconds", value(t, fams, "mtproxy_clock_skew_seconds", "source", "ntp"))
		check("clock_skew_http_date_checks_ok", value(t, fams, "mtproxy_clock_skew_checks_total", "source", "http_date", "result", "ok"))
		check("clock_skew_ntp_checks_error", value(t, fams, "mtproxy_clock_skew_checks_total", "source", "ntp", "result", "error"))
		check("nat_ip_lookups_timeout", value(t, fams, "mtproxy_nat_ip_lookups_total", "result", "timeout"))
		if value(t, fams, "mtproxy_nat_state", "state", vals["nat_state"]) != 1 {
			t.Errorf("%s: nat_state %q is not the Prometheus state", mode, vals["nat_state"])
		}
		check("total_network_buffers_used", value(t, fams, "mtproxy_buffers_in_use"))
		check("total_network_buffer_chunks_allocated", value(t, fams, "mtproxy_buffers_allocated_total"))
		check("buffer_size_bytes", value(t, fams, "mtproxy_buffer_size_bytes"))
		check("proxy_tag_set", b2f(s.ProxyTagSet))
	}
}
