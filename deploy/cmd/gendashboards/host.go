package main

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// host is the machine the proxy runs on, as the proxy sees it: its clock,
// its addresses and its own process.
func host() *dashboard.DashboardBuilder {
	return newBoard("mtproxy-host", "mtproxy / Host",
		"Health of what the proxy depends on: clock skew, NAT state and external IP checks, process memory, goroutines and build.").
		WithRow(dashboard.NewRowBuilder("Clock")).
		WithPanel(single("Clock skew (worst)", "Largest distance between this host's clock and UTC over the selected instances and sources (0 until a source has measured). MTProxyClockSkew warns above 2 s and pages above 5 s.", "s",
			q("max(abs("+sel("mtproxy_clock_skew_seconds")+"))", "skew")).
			Thresholds(thresholds(step("green"), step("orange", 2), step("red", 5)))).
		WithPanel(single("Failed clock checks per hour", "Clock checks (NTP rounds, HTTP Date headers) that gave no estimate.", "short",
			q("sum("+rate("mtproxy_clock_skew_checks_total", `result="error"`)+") * 3600", "failed"))).
		WithPanel(single("NAT state", "The proxy's view of its addresses: public, behind_nat, mismatch (configured and detected addresses disagree) or unknown.", "short",
			q(sel("mtproxy_nat_state")+" == 1", "{{instance}}: {{state}}")).
			TextMode(common.BigValueTextModeName).
			GraphMode(common.BigValueGraphModeNone)).
		WithPanel(single("Uptime", "Time since the youngest selected process started.", "s",
			q("min(time() - "+sel("process_start_time_seconds")+")", "uptime"))).
		WithPanel(graph("Clock skew by source", "This host's clock minus UTC, by instance and source (ntp, http_date: the Date header of Telegram's file downloads). A source that never measured shows 0.", "s",
			q(sel("mtproxy_clock_skew_seconds"), "{{instance}} {{source}}"))).
		WithPanel(graph("Clock checks per hour", "Clock checks by source and result.", "short",
			q("sum by (source, result) ("+rate("mtproxy_clock_skew_checks_total")+") * 3600", "{{source}} {{result}}"))).
		WithRow(dashboard.NewRowBuilder("Addresses")).
		WithPanel(timeline("NAT state by instance", "The NAT state of each instance over time.", natStates,
			q(natCode, "{{instance}}"))).
		WithPanel(graph("External IP look-ups per hour", "Look-ups of the external address (IP_DETECT_URLS) by result: ok, timeout, error, bad_answer.", "short",
			q("sum by (result) ("+rate("mtproxy_nat_ip_lookups_total")+") * 3600", "{{result}}"))).
		WithRow(dashboard.NewRowBuilder("Process")).
		WithPanel(graph("Memory", "Resident memory of the process, and the Go heap in use.", "bytes",
			q(sel("process_resident_memory_bytes"), "{{instance}} resident"),
			q(sel("go_memstats_heap_inuse_bytes"), "{{instance}} heap in use"))).
		WithPanel(graph("Goroutines", "Goroutines of the process: about one per open connection and direction, plus the pools.", "short",
			q(sel("go_goroutines"), "{{instance}}"))).
		WithPanel(graph("CPU", "CPU time used per second (1 = one core).", "short",
			q(rate("process_cpu_seconds_total"), "{{instance}}"))).
		WithPanel(graph("File descriptors", "Open file descriptors (one per client and upstream connection) against the process limit.", "short",
			q(sel("process_open_fds"), "{{instance}} open"),
			q(sel("process_max_fds"), "{{instance}} limit"))).
		WithPanel(graph("Relay buffers", "Memory held in relay buffers now (buffers holding bytes x buffer size).", "bytes",
			q(sel("mtproxy_buffers_in_use")+" * "+sel("mtproxy_buffer_size_bytes"), "{{instance}} in use"))).
		WithPanel(graph("Garbage collection", "Time spent in GC pauses per second.", "s",
			q(rate("go_gc_duration_seconds_sum"), "{{instance}}"))).
		WithPanel(single("Build", "Version, revision and Go version of each instance.", "short",
			q(sel("mtproxy_build_info"), "{{instance}}: {{version}} ({{revision}}, {{goversion}})")).
			TextMode(common.BigValueTextModeName).
			GraphMode(common.BigValueGraphModeNone).
			Span(halfWidth))
}

// natStates are the codes natCode gives the NAT states.
var natStates = []state{{0, "unknown", "text"}, {1, "public", "green"}, {2, "behind_nat", "blue"}, {3, "mismatch", "red"}}

// natCode is the current NAT state of each instance as a natStates code:
// mtproxy_nat_state is 1 for the current state only.
var natCode = "sum by (instance) (" + sel("mtproxy_nat_state", `state="public"`) + ")" +
	" + 2 * sum by (instance) (" + sel("mtproxy_nat_state", `state="behind_nat"`) + ")" +
	" + 3 * sum by (instance) (" + sel("mtproxy_nat_state", `state="mismatch"`) + ")"
