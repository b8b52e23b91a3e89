package main

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

const (
	dialHist   = "mtproxy_upstream_dial_duration_seconds"
	middleHist = "mtproxy_middle_handshake_duration_seconds"
	dcMatcher  = `dc=~"$dc"`
)

// upstream is Telegram's side: targets, DCs, the middle-proxy pool and
// Telegram's configuration files.
func upstream() *dashboard.DashboardBuilder {
	dcVar := []cog.Builder[dashboard.VariableModel]{
		labelVar("dc", "DC", `mtproxy_upstream_up{job=~"$job", instance=~"$instance"}`, "dc", true),
	}
	return newBoard("mtproxy-upstream", "mtproxy / Upstream",
		"Telegram's side of the proxy: DC reachability and latency, dials for clients, the middle-proxy RPC pool, ready versus active targets, and the age of Telegram's configuration.",
		dcVar...).
		WithRow(dashboard.NewRowBuilder("Targets")).
		WithPanel(single("Targets declared", "DCs of the table (direct mode) or middle proxies of Telegram's config (middle mode).", "short",
			q("sum("+sel("mtproxy_upstream_targets_declared")+")", "declared"))).
		WithPanel(single("Targets ready", "Targets reachable: probe up (direct), or at least one ready RPC connection (middle).", "short",
			q("sum("+sel("mtproxy_upstream_targets_ready")+")", "ready")).
			Thresholds(thresholds(step("red"), step("green", 1)))).
		WithPanel(single("Targets active", "Targets carrying client traffic now.", "short",
			q("sum("+sel("mtproxy_upstream_targets_active")+")", "active"))).
		WithPanel(single("Telegram config age", "Age of the oldest middle-proxy config in use (middle mode; empty in direct mode). MTProxyTelegramConfigStale fires after a day without a confirmed refresh.", "s",
			q("time() - min("+sel("mtproxy_telegram_config_loaded_timestamp_seconds", `file="config"`)+" > 0)", "age")).
			Thresholds(thresholds(step("green"), step("orange", 86400)))).
		WithPanel(graph("Ready versus active targets", "Declared, ready and active targets. Ready below declared: some targets are unreachable. In middle mode, ready below active: clients sit on a middle proxy without a ready connection.", "short",
			q("sum("+sel("mtproxy_upstream_targets_declared")+")", "declared"),
			q("sum("+sel("mtproxy_upstream_targets_ready")+")", "ready"),
			q("sum("+sel("mtproxy_upstream_targets_active")+")", "active"))).
		WithPanel(graph("Telegram files age", "Time since each of Telegram's files in use was loaded (proxy secret and middle-proxy config; middle mode only).", "s",
			q("time() - ("+sel("mtproxy_telegram_config_loaded_timestamp_seconds")+" > 0)", "{{instance}} {{file}}"))).
		WithPanel(graph("Telegram file loads per hour", "Downloads of Telegram's files by result: ok, unchanged, fetch_failed, parse_error, rejected.", "short",
			q("sum by (file, result) ("+rate("mtproxy_telegram_config_refreshes_total")+") * 3600", "{{file}} {{result}}"))).
		WithPanel(graph("DCs in Telegram config", "DCs listed in the middle-proxy config in use.", "short",
			q("max by (instance) ("+sel("mtproxy_telegram_config_dcs")+")", "{{instance}}"))).
		WithRow(dashboard.NewRowBuilder("Path")).
		WithPanel(single("DCs served directly", "DC labels whose new clients go straight to the DC on some selected instance. In MODE=auto that means no Telegram files yet, or the DC's middle proxies down: photos, videos and stories of accounts without Premium do not load there. MTProxyServingDirect fires after 15 minutes in MODE=auto.", "short",
			q("count(max by (dc) ("+sel("mtproxy_upstream_path", dcMatcher, `path="direct"`)+") == 1) or vector(0)", "direct")).
			Thresholds(thresholds(step("green"), step("orange", 1)))).
		WithPanel(timeline("Path of new clients by DC", "Middle proxies or direct, per DC (direct when any selected instance sends the DC's new clients directly). MODE=auto chooses per DC: middle whenever its middle proxies have a ready connection; direct without Telegram's files or while they are down for DIRECT_FALLBACK_AFTER. Connected clients keep their path.", middleDirect,
			q("max by (dc) ("+sel("mtproxy_upstream_path", dcMatcher, `path="direct"`)+")", "DC {{dc}}"))).
		WithPanel(graph("Path switches", "Switches of a DC's path in MODE=auto, by the path switched to (each is also logged once).", "short",
			q("sum by (dc, to) (increase("+sel("mtproxy_upstream_path_switches_total", dcMatcher)+"["+rateWindow+"]))", "DC {{dc}} to {{to}}"))).
		WithRow(dashboard.NewRowBuilder("DCs")).
		WithPanel(timeline("DC reachability", "Whether the last probe round reached the DC, on every selected instance (down when any instance cannot reach it). A media DC without addresses of its own shows its main DC.", upDown,
			q("min by (dc) ("+sel("mtproxy_upstream_up", dcMatcher)+")", "DC {{dc}}"))).
		WithPanel(graph("Probe connect time", "Fastest TCP connect time of the DC's last probe round.", "s",
			q("max by (dc) ("+sel("mtproxy_upstream_probe_connect_seconds", dcMatcher)+" > 0)", "DC {{dc}}"))).
		WithPanel(graph("Failed probes", "Probe connects that failed, by DC and result (timeout, refused, unreachable, error).", "ops",
			q("sum by (dc, result) ("+rate("mtproxy_upstream_probes_total", dcMatcher, `result!="ok"`)+")", "DC {{dc}} {{result}}"))).
		WithPanel(stacked("Clients by DC", "Authenticated client connections relayed to each DC now.", "short",
			q("sum by (dc) ("+sel("mtproxy_upstream_connections_active", dcMatcher)+")", "DC {{dc}}"))).
		WithPanel(graph("Dial latency for clients (p99)", "99th percentile of successful dials to Telegram made for clients, by DC; dots are exemplars linking to traces.", "s",
			query{expr: quantile("0.99", dialHist, "dc", dcMatcher), legend: "DC {{dc}}", exemplar: true})).
		WithPanel(graph("Failed dials for clients", "Dials to Telegram made for clients that failed, by DC and result.", "ops",
			q("sum by (dc, result) ("+rate("mtproxy_upstream_dials_total", dcMatcher, `result!="ok"`)+")", "DC {{dc}} {{result}}"))).
		WithPanel(buckets("Dial latency distribution", "Successful dials for clients per duration bucket, all DCs, with exemplars linking to traces.", dialHist)).
		WithPanel(graph("Dials for clients", "Dials to Telegram made for clients, by result.", "ops",
			q("sum by (result) ("+rate("mtproxy_upstream_dials_total", dcMatcher)+")", "{{result}}"))).
		WithRow(dashboard.NewRowBuilder("Middle-proxy pool (middle mode)")).
		WithPanel(graph("Ready RPC connections by DC", "Ready RPC connections to each DC's middle proxies (a middle proxy serving several DCs counts under each).", "short",
			q("sum by (dc) ("+sel("mtproxy_middle_connections", dcMatcher, `state="ready"`)+")", "DC {{dc}}"))).
		WithPanel(graph("RPC connections by state", "RPC connections ready and connecting, all DCs.", "short",
			q("sum by (state) ("+sel("mtproxy_middle_connections", dcMatcher)+")", "{{state}}"))).
		WithPanel(stacked("RPC handshakes by result", "RPC connection attempts to middle proxies by result.", "ops",
			q("sum by (result) ("+rate("mtproxy_middle_handshakes_total", dcMatcher)+")", "{{result}}"))).
		WithPanel(graph("RPC handshake latency", "Duration of successful RPC handshakes with middle proxies; dots are exemplars linking to traces.", "s",
			query{expr: quantile("0.5", middleHist, "", dcMatcher), legend: "p50", exemplar: true},
			query{expr: quantile("0.99", middleHist, "", dcMatcher), legend: "p99", exemplar: true})).
		WithPanel(stacked("RPC disconnects by reason", "Ready RPC connections that ended, by reason.", "ops",
			q("sum by (reason) ("+rate("mtproxy_middle_disconnects_total")+")", "{{reason}}"))).
		WithPanel(graph("RPC traffic", "Bytes per second on RPC connections.", "Bps",
			q("sum by (direction) ("+rate("mtproxy_middle_rpc_bytes_total")+")", "{{direction}}"))).
		WithPanel(graph("RPC frames", "Frames per second on RPC connections.", "ops",
			q("sum by (direction) ("+rate("mtproxy_middle_rpc_frames_total")+")", "{{direction}}"))).
		WithPanel(graph("Forwarding", "Client packets forwarded to middle proxies, answers and quick ACKs forwarded to clients, or dropped.", "ops",
			q("sum by (result) ("+rate("mtproxy_middle_queries_total")+")", "queries {{result}}"),
			q("sum by (result) ("+rate("mtproxy_middle_responses_total")+")", "responses {{result}}"),
			q("sum by (result) ("+rate("mtproxy_middle_simple_acks_total")+")", "quick ACKs {{result}}"))).
		WithPanel(graph("Multiplexed clients", "Client connections multiplexed over RPC connections now.", "short",
			q("sum by (instance) ("+sel("mtproxy_middle_ext_connections")+")", "{{instance}}"))).
		WithPanel(graph("Multiplexed clients created", "Client connections multiplexed over RPC connections, per second.", "ops",
			q("sum by (instance) ("+rate("mtproxy_middle_ext_connections_created_total")+")", "{{instance}}")))
}
