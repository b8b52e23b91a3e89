package metrics

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// officialKeys reads the official key list transcribed from the C source.
func officialKeys(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("testdata/official_keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			keys = append(keys, l)
		}
	}
	return keys
}

func TestStatsOfficialKeyOrder(t *testing.T) {
	want := officialKeys(t)
	for _, mode := range []Mode{ModeDirect, ModeMiddle, ModeAuto} {
		_, s := populated(t, mode)
		keys, vals := parseStats(t, StatsPage(s))
		if len(keys) < len(want) {
			t.Fatalf("%s: %d keys, want at least %d", mode, len(keys), len(want))
		}
		for i, k := range want {
			if keys[i] != k {
				t.Fatalf("%s: key %d is %q, want %q", mode, i, keys[i], k)
			}
		}
		official := map[string]bool{}
		for _, k := range want {
			official[k] = true
		}
		for _, k := range keys[len(want):] {
			if official[k] {
				t.Errorf("%s: extra key %q repeats an official one", mode, k)
			}
		}
		for _, k := range want {
			if strings.HasPrefix(k, ">>>>>>") && vals[k] != "start" || strings.HasPrefix(k, "<<<<<<") && vals[k] != "end" {
				t.Errorf("marker %q = %q", k, vals[k])
			}
		}
	}
}

func TestStatsGolden(t *testing.T) {
	for _, mode := range []Mode{ModeDirect, ModeMiddle, ModeAuto} {
		_, s := populated(t, mode)
		got := StatsPage(s)
		path := "testdata/stats_" + mode.String() + ".golden"
		if os.Getenv("MTPROXY_UPDATE_GOLDEN") == "1" {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (MTPROXY_UPDATE_GOLDEN=1 writes it)", err)
		}
		if !bytes.Equal(got, want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%s: line %d is %q, golden %q", path, i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("%s: %d lines, golden %d", path, len(gl), len(wl))
		}
	}
}

// TestStatsValues checks the populated fixture's values, worked out by
// hand from the events fed in fixture_test.go.
func TestStatsValues(t *testing.T) {
	start := strconv.FormatInt(fixtureStart().Unix(), 10)
	loaded := strconv.FormatInt(fixtureStart().Add(10*time.Minute).Unix(), 10)
	zeros16 := "0.000 0.000 0.000 0.000  0.000 0.000 0.000 0.000  0.000 0.000 0.000 0.000  0.000 0.000 0.000 0.000"
	common := map[string]string{
		"pid": "4242", "start_time": start, "uptime": "3600", "PID": "[10.0.0.5:2398:4242:" + start + "]",
		// Special connections are the authenticated ones (those
		// MAX_CONNECTIONS limits): 3 handshakes, 1 closed; inbound ones add
		// the 3 unauthenticated ones of the engine.
		"inbound_connections": "5", "total_special_connections": "2", "active_special_connections": "2",
		"inbound_connections_accepted": "10", "listening_connections": "1",
		"total_max_special_connections": "120000", "max_special_connections": "120000",
		"accept_connection_limit_failed": "1", "total_accept_connections_failed": "0 0 1 0 0",
		"total_dh_rounds": "0 0 0", "tot_dh_rounds": "0 0 0", "qps_get": "0.000", "http_qps": "0.000000",
		"thread_average_idle_percent": zeros16, "tot_threads": "0 0 0 0  0 0 0 0  0 0 0 0  0 0 0 0",
		"total_network_buffers_used": "4", "total_network_buffers_used_size": "65556", // 4 x 16389
		"total_network_buffer_chunks_allocated": "10", "total_network_buffers_allocated_bytes": "163890",
		"vmsize_bytes": "1600000000", "vmrss_bytes": "9224192", "vmdata_bytes": "109924352", // kB x 1024
		"stats_generate_time": "0.001234", "workers": "2",
		"version": "mtproxy-go-1.0.0 compiled by go1.99 64-bit after commit 0123abc",
		// Extras.
		"handshakes_ok": "3", "handshakes_bad_secret": "2", "handshakes_timeout": "1",
		"fronting_done": "1", "fronting_drained": "1", "fronting_bytes_from_client": "581", "fronting_bytes_to_client": "4000",
		"traffic_bytes_from_client": "1211", "traffic_bytes_to_client": "5322",
		"secret_alice_connections_active": "1", "secret_alice_connections_total": "2",
		"secret_alice_bytes_from_client": "1010", "secret_bob_bytes_to_client": "300", "secret_2_connections_total": "0",
		"dc_2_up": "1", "dc_2_connect_ms": "25", "dc_-2_up": "1", "dc_-2_connect_ms": "25", "dc_4_up": "0",
		"dc_4_probe_failures": "3", "dc_other_up": "1", "dc_other_connections": "0", "dc_3_bytes_from_client": "1",
		"dc_2_connections": "1", "dc_-2_connections": "1", "dc_other_bytes_to_client": "20",
		"clock_skew_ntp_seconds": "-1.500000", "clock_skew_ntp_checks_ok": "1", "clock_skew_ntp_checks_error": "1",
		"clock_skew_ntp_server_failures": "1", "clock_skew_http_date_seconds": "0.250000",
		"nat_state": "behind_nat", "nat_ip_lookups_ok": "1", "nat_ip_lookups_timeout": "1", "nat_ip_lookups_error": "0",
		"buffer_size_bytes": "16389",
	}
	direct := map[string]string{
		"mode": "direct", "proxy_mode": "0", "proxy_tag_set": "0", "config_filename": "", "config_loaded_at": "0",
		// 6 DCs probed, 4 up; clients of DC 2 and -2 open.
		"ready_targets": "4", "active_targets": "6", "total_declared_targets": "6", "targets_active": "2",
		"outbound_connections": "2", "active_connections": "7",
		"outbound_connections_created": "2", "total_connect_failures": "1",
	}
	mid := map[string]string{
		"mode": "middle", "proxy_mode": "2", "proxy_tag_set": "1",
		"config_filename": "/data/proxy-multi.conf", "config_loaded_at": loaded, "config_size": "1234",
		"config_md5": "0123456789abcdef0123456789abcdef", "config_auth_clusters": "10",
		"aes_pwd_hash":          "fedcba9876543210fedcba9876543210",
		"tot_forwarded_queries": "100", "dropped_queries": "2", "tot_forwarded_responses": "90",
		"dropped_responses": "1", "tot_forwarded_simple_acks": "5", "dropped_simple_acks": "0",
		"ext_connections": "7", "ext_connections_created": "20",
		"mtproto_proxy_errors": "3", "connections_failed_flood": "2",
		"ready_targets": "7", "active_targets": "8", "total_ready_targets": "7", "targets_active": "3",
		"total_rpc_targets": "8", "total_connections_in_rpc_targets": "4",
		// Outbound: 4+1 and 0+2 RPC connections, 4 of them ready.
		"outbound_connections": "7", "ready_outbound_connections": "4", "active_connections": "9",
		"total_allocated_socket_connections": "12",
		"outbound_connections_created":       "3", "total_connect_failures": "3",
		"middle_connections_ready": "4", "middle_connections_connecting": "3",
		"middle_handshakes_ok": "1", "middle_handshakes_closed_after_nonce": "1", "middle_disconnects_ping_timeout": "1",
		"telegram_config_refreshes_ok": "1", "telegram_config_refreshes_fetch_failed": "1",
		"telegram_secret_refreshes_unchanged": "1", "middle_rpc_bytes_sent": "123456",
	}
	// Auto: the middle layer's numbers once its config is in, and the
	// per-DC paths of the Auto.
	autoWant := map[string]string{
		"mode": "auto", "proxy_mode": "2", "proxy_tag_set": "1", "tot_forwarded_queries": "100",
		"outbound_connections": "7", "ready_targets": "7",
		"dc_2_path": "middle", "dc_-2_path": "middle", "dc_4_path": "direct", "dc_other_path": "direct",
		"path_switches_to_direct": "3", "path_switches_to_middle": "1",
	}
	direct["dc_2_path"], mid["dc_2_path"] = "direct", "middle"
	direct["path_switches_to_direct"], mid["path_switches_to_middle"] = "0", "0"
	for mode, want := range map[Mode]map[string]string{ModeDirect: direct, ModeMiddle: mid, ModeAuto: autoWant} {
		_, s := populated(t, mode)
		_, vals := parseStats(t, StatsPage(s))
		for _, w := range []map[string]string{common, want} {
			for k, v := range w {
				if got, ok := vals[k]; !ok || got != v {
					t.Errorf("%s: %s = %q (present %v), want %q", mode, k, got, ok, v)
				}
			}
		}
	}
}

func TestStatsAtStart(t *testing.T) {
	m := New(Options{})
	keys, vals := parseStats(t, StatsPage(m.Snapshot()))
	if keys[0] != "pid" || vals["pid"] != strconv.Itoa(os.Getpid()) {
		t.Errorf("pid line: %q %q", keys[0], vals["pid"])
	}
	if vals["uptime"] != "0" || vals["total_special_connections"] != "0" || vals["total_max_special_connections"] != "60000" {
		t.Errorf("start values: %v", vals)
	}
	if vals["nat_state"] != "unknown" || vals["mode"] != "direct" {
		t.Errorf("nat_state %q mode %q", vals["nat_state"], vals["mode"])
	}
}

func TestStatsSanitizesLabels(t *testing.T) {
	m := New(Options{Secrets: []string{"a b\tc\nd", "ok"}})
	keys, _ := parseStats(t, StatsPage(m.Snapshot()))
	found := false
	for _, k := range keys {
		if strings.HasPrefix(k, "secret_a_b_c_d_") {
			found = true
		}
	}
	if !found {
		t.Error("no sanitized key for the secret label")
	}
}
