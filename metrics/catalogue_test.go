package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// catalogue is the fixed metric catalogue with the number of series each
// metric has at start for two secrets and the built-in DC table: 13 dc
// labels (1-5, 203, their media ids, "other"). The counts are written out
// from the catalogue's label sets, not computed from the package.
func catalogue() map[string]int {
	return map[string]int{
		"mtproxy_client_connections_active":                1,
		"mtproxy_client_connections_limit":                 1,
		"mtproxy_client_connections_accepted_total":        1,
		"mtproxy_client_connections_rejected_total":        2,      // limit, shutdown
		"mtproxy_client_handshakes_total":                  5 * 10, // transports x results
		"mtproxy_client_handshake_duration_seconds":        5,      // transports
		"mtproxy_client_stage_total":                       7 * 5,  // stages x transports
		"mtproxy_client_stalls_total":                      7 * 5,  //
		"mtproxy_secret_stalls_total":                      2 * 4,  // secrets x stages from authenticated on
		"mtproxy_client_hello_fingerprints_total":          1 * 10, // "other" x handshake results
		"mtproxy_client_connection_duration_seconds":       1,      //
		"mtproxy_client_traffic_bytes_total":               13 * 2, // dc x direction
		"mtproxy_secret_connections_active":                2,      // secrets
		"mtproxy_secret_connections_total":                 2,      //
		"mtproxy_secret_traffic_bytes_total":               2 * 2,  // secret x direction
		"mtproxy_fronting_connections_total":               9 * 8,  // frontable failures x results
		"mtproxy_unauth_connections":                       1,
		"mtproxy_unauth_connections_limit":                 2, // total, per_ip
		"mtproxy_unauth_evictions_total":                   2, // limit, per_ip
		"mtproxy_users_rejections_total":                   5, // disabled, expired, quota, max_connections, max_ips
		"mtproxy_users":                                    4, // active, disabled, expired, over_quota
		"mtproxy_fronting_traffic_bytes_total":             2, // direction
		"mtproxy_fronting_dns_lookups_total":               3, // ok, failed, self
		"mtproxy_fronting_profile_probes_total":            6, // ok, dial_failed, timeout, not_tls13, retry_request, bad_answer
		"mtproxy_fronting_profile_fallback":                1,
		"mtproxy_fronting_profile_flight_bytes":            1,
		"mtproxy_upstream_up":                              13,      // dc
		"mtproxy_upstream_probes_total":                    13 * 8,  // dc x results
		"mtproxy_upstream_probe_connect_seconds":           13,      //
		"mtproxy_upstream_probe_rtt_seconds":               13,      //
		"mtproxy_upstream_dials_total":                     13 * 8,  //
		"mtproxy_upstream_dial_duration_seconds":           13,      //
		"mtproxy_upstream_first_answer_seconds":            13,      //
		"mtproxy_upstream_connections_active":              13,      //
		"mtproxy_upstream_mode":                            3,       // direct, middle, auto
		"mtproxy_upstream_path":                            13 * 2,  // dc x path
		"mtproxy_upstream_path_switches_total":             13 * 2,  // dc x path
		"mtproxy_upstream_targets_declared":                1,       //
		"mtproxy_upstream_targets_ready":                   1,       //
		"mtproxy_upstream_targets_active":                  1,       //
		"mtproxy_middle_connections":                       13 * 2,  // dc x state
		"mtproxy_middle_ping_rtt_seconds":                  13,      // dc
		"mtproxy_middle_handshakes_total":                  13 * 11, // dc x middle results
		"mtproxy_middle_handshake_duration_seconds":        13,      //
		"mtproxy_middle_disconnects_total":                 8,       // close reasons
		"mtproxy_middle_rpc_bytes_total":                   2,       // sent, received
		"mtproxy_middle_rpc_frames_total":                  2,       //
		"mtproxy_middle_queries_total":                     2,       // forwarded, dropped
		"mtproxy_middle_responses_total":                   2,       //
		"mtproxy_middle_simple_acks_total":                 2,       //
		"mtproxy_middle_ext_connections":                   1,       //
		"mtproxy_middle_ext_connections_created_total":     1,       //
		"mtproxy_middle_clients_shed_total":                2,       // queue_full, memory_budget
		"mtproxy_middle_buffered_bytes":                    2,       // uploads, answers
		"mtproxy_telegram_config_loaded_timestamp_seconds": 2,       // secret, config
		"mtproxy_telegram_config_refreshes_total":          2 * 5,
		"mtproxy_telegram_config_dcs":                      1,
		"mtproxy_clock_skew_seconds":                       2,     // ntp, http_date
		"mtproxy_clock_skew_checks_total":                  2 * 2, // source x ok/error
		"mtproxy_nat_state":                                4,     // unknown, public, behind_nat, mismatch
		"mtproxy_nat_ip_lookups_total":                     4,     // ok, timeout, error, bad_answer
		"mtproxy_buffers_in_use":                           1,
		"mtproxy_buffers_allocated_total":                  1,
		"mtproxy_buffer_size_bytes":                        1,
		"mtproxy_build_info":                               1,
		"mtproxy_webproxy_sessions":                        1,
		"mtproxy_webproxy_sessions_total":                  1,
		"mtproxy_webproxy_streams_total":                   3, // served, refused, engine_refused
		"mtproxy_webproxy_bytes_total":                     2, // from_client, to_client
		"mtproxy_webproxy_pages_total":                     1,
		"mtproxy_webproxy_site_fallbacks_total":            3, // path, capability, token
		"mtproxy_webproxy_limit_hits_total":                6, // sessions, session_streams, streams, session_pending, pending, bootstraps
		"mtproxy_replay_cache_entries":                     1,
		"mtproxy_panics_total":                             6, // conn, middle, refresh, prober, clock, background
		"mtproxy_replay_cache_evictions_total":             2, // expired, full
		"mtproxy_state_up":                                 1,
		"mtproxy_state_health":                             4, // off, up, degraded, down
		"mtproxy_state_errors_total":                       6, // ops
		"mtproxy_state_fallbacks_total":                    6, //
		"mtproxy_state_latency_seconds":                    6, //
		"mtproxy_state_pending_digests":                    1,
		"mtproxy_state_unsynced_bytes":                     1,
		"mtproxy_state_replicas":                           1,
	}
}

func TestRegistryLint(t *testing.T) {
	m := New(Options{Secrets: []string{"alice", "bob"}})
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// The snapshot collector alone, as the brief's CollectAndLint.
	for _, c := range m.hist.collectors() {
		if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
			t.Errorf("histogram lint: %v %v", problems, err)
		}
	}
}

func TestCatalogueAtStart(t *testing.T) {
	m := New(Options{Secrets: []string{"alice", "bob"}, Version: "1.2.3", Revision: "abc"})
	fams := families(t, m)
	for name, want := range catalogue() {
		got, err := testutil.GatherAndCount(m.Registry(), name)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %d series at start, want %d", name, got, want)
		}
	}
	// Nothing but the catalogue carries the mtproxy_ prefix.
	for name := range fams {
		if _, ok := catalogue()[name]; strings.HasPrefix(name, "mtproxy_") && !ok {
			t.Errorf("metric %s is not in the catalogue", name)
		}
	}
	// Every value is zero at start, but for these.
	nonZero := map[string]float64{
		"mtproxy_client_connections_limit":  60000,
		"mtproxy_upstream_targets_declared": 6, // the built-in table's DCs
		"mtproxy_build_info":                1,
	}
	for name, mf := range fams {
		if !strings.HasPrefix(name, "mtproxy_") {
			continue
		}
		for _, s := range mf.Metric {
			v := s.GetCounter().GetValue() + s.GetGauge().GetValue() + float64(s.GetHistogram().GetSampleCount())
			want := nonZero[name]
			if name == "mtproxy_nat_state" && hasLabels(s, []string{"state", "unknown"}) ||
				name == "mtproxy_state_health" && hasLabels(s, []string{"state", "off"}) {
				want = 1
			}
			if name == "mtproxy_upstream_mode" && hasLabels(s, []string{"mode", "direct"}) {
				want = 1
			}
			if name == "mtproxy_upstream_path" && hasLabels(s, []string{"path", "direct"}) {
				want = 1 // direct mode: every DC's clients go direct
			}
			if v != want {
				t.Errorf("%s %v = %v at start, want %v", name, s.Label, v, want)
			}
		}
	}
	if v := value(t, fams, "mtproxy_build_info", "version", "1.2.3", "revision", "abc"); v != 1 {
		t.Errorf("build_info = %v", v)
	}
	// The Go and process collectors are registered.
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}

func TestCatalogueLabelValues(t *testing.T) {
	m := New(Options{Secrets: []string{"alice", "bob"}})
	err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP mtproxy_client_connections_rejected_total Client connections refused, by reason: over MAX_CONNECTIONS once authenticated, or at shutdown.
# TYPE mtproxy_client_connections_rejected_total counter
mtproxy_client_connections_rejected_total{reason="limit"} 0
mtproxy_client_connections_rejected_total{reason="shutdown"} 0
# HELP mtproxy_nat_state 1 for the current NAT state of the proxy's addresses.
# TYPE mtproxy_nat_state gauge
mtproxy_nat_state{state="behind_nat"} 0
mtproxy_nat_state{state="mismatch"} 0
mtproxy_nat_state{state="public"} 0
mtproxy_nat_state{state="unknown"} 1
# HELP mtproxy_nat_ip_lookups_total External IP look-ups, by result.
# TYPE mtproxy_nat_ip_lookups_total counter
mtproxy_nat_ip_lookups_total{result="bad_answer"} 0
mtproxy_nat_ip_lookups_total{result="error"} 0
mtproxy_nat_ip_lookups_total{result="ok"} 0
mtproxy_nat_ip_lookups_total{result="timeout"} 0
# HELP mtproxy_secret_connections_total Authenticated client connections, by secret.
# TYPE mtproxy_secret_connections_total counter
mtproxy_secret_connections_total{secret="alice"} 0
mtproxy_secret_connections_total{secret="bob"} 0
# HELP mtproxy_clock_skew_checks_total Clock checks, by source and result.
# TYPE mtproxy_clock_skew_checks_total counter
mtproxy_clock_skew_checks_total{result="error",source="http_date"} 0
mtproxy_clock_skew_checks_total{result="error",source="ntp"} 0
mtproxy_clock_skew_checks_total{result="ok",source="http_date"} 0
mtproxy_clock_skew_checks_total{result="ok",source="ntp"} 0
`), "mtproxy_client_connections_rejected_total", "mtproxy_nat_state", "mtproxy_nat_ip_lookups_total",
		"mtproxy_secret_connections_total", "mtproxy_clock_skew_checks_total")
	if err != nil {
		t.Error(err)
	}
	fams := families(t, m)
	for _, l := range []string{"1", "2", "3", "4", "5", "203", "-1", "-2", "-3", "-4", "-5", "-203", "other"} {
		value(t, fams, "mtproxy_upstream_up", "dc", l)
		value(t, fams, "mtproxy_upstream_dials_total", "dc", l, "result", "refused")
		value(t, fams, "mtproxy_middle_handshakes_total", "dc", l, "result", "closed_after_nonce")
		value(t, fams, "mtproxy_upstream_dial_duration_seconds", "dc", l)
	}
	for _, tr := range []string{"unknown", "abridged", "intermediate", "padded", "faketls"} {
		value(t, fams, "mtproxy_client_handshakes_total", "transport", tr, "result", "stale_timestamp")
		value(t, fams, "mtproxy_client_handshake_duration_seconds", "transport", tr)
	}
	for _, r := range []string{"bad_secret", "bad_sni", "replay", "stale_timestamp", "not_tls", "bad_tls"} {
		value(t, fams, "mtproxy_fronting_connections_total", "reason", r, "result", "drained")
	}
	for _, f := range []string{"secret", "config"} {
		value(t, fams, "mtproxy_telegram_config_refreshes_total", "file", f, "result", "rejected")
	}
}
