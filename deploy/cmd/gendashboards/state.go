package main

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import "github.com/grafana/grafana-foundation-sdk/go/dashboard"

const stateHist = "mtproxy_state_latency_seconds"

// stateStates are the codes stateCode gives the store's health.
var stateStates = []state{{0, "off", "text"}, {1, "up", "green"}, {2, "degraded", "orange"}, {3, "down", "red"}}

// stateCode is the store's current health on each instance as a
// stateStates code: mtproxy_state_health is 1 for the current state only.
var stateCode = "sum by (instance) (" + sel("mtproxy_state_health", `state="up"`) + ")" +
	" + 2 * sum by (instance) (" + sel("mtproxy_state_health", `state="degraded"`) + ")" +
	" + 3 * sum by (instance) (" + sel("mtproxy_state_health", `state="down"`) + ")"

// withState adds the row of the fleet's shared state store (STATE_URL) to
// b: its health on every instance, the calls, their failures and what
// was decided locally instead, latency on the handshake path and in the
// background, and what waits to be written back.
func withState(b *dashboard.DashboardBuilder) *dashboard.DashboardBuilder {
	return b.
		WithRow(dashboard.NewRowBuilder("Shared state")).
		WithPanel(timeline("Store health", "The fleet's shared state store (STATE_URL) as each instance sees it: off (no STATE_URL), up, degraded (a recent call failed), down (the handshake path stops asking it; MTProxyStateStoreDown). Clients are served either way.", stateStates,
			q(stateCode, "{{instance}}"))).
		WithPanel(graph("Live replicas", "Replicas the store counts as alive (their heartbeat within the lease), as each instance saw at its last heartbeat.", "short",
			q("max by (instance) ("+sel("mtproxy_state_replicas")+")", "{{instance}}"))).
		WithPanel(stacked("Store calls by operation", "Calls to the store per second: replay and admit on the handshake path; leases, usage, ping and reconcile in the background (usage flushes are one pipeline a second).", "ops",
			q("sum by (op) ("+rate(stateHist+"_count")+")", "{{op}}"))).
		WithPanel(graph("Store errors and local decisions", "Failed or timed-out calls by operation (MTProxyStateStoreErrors), and handshakes decided on local state alone because the store was down or failed: replay checks not shared, admissions counted on this replica.", "ops",
			q("sum by (op) ("+rate("mtproxy_state_errors_total")+")", "error: {{op}}"),
			q("sum by (op) ("+rate("mtproxy_state_fallbacks_total")+")", "local: {{op}}"))).
		WithPanel(graph("Store latency", "Duration of the store's calls on the handshake path (replay checks, admissions; bounded by STATE_TIMEOUT, MTProxyStateStoreSlow watches the p99) and of the background flushes.", "s",
			q(quantile("0.5", stateHist, "", `op=~"replay|admit"`), "handshake p50"),
			q(quantile("0.99", stateHist, "", `op=~"replay|admit"`), "handshake p99"),
			q(quantile("0.99", stateHist, "", `op=~"leases|usage|reconcile"`), "background p99"))).
		WithPanel(graph("Pending write-back", "Handshake digests recorded while the store could not be asked, and quota bytes counted but not yet added to the fleet's totals: both are written back when it answers.", "short",
			q("sum by (instance) ("+sel("mtproxy_state_pending_digests")+")", "digests {{instance}}"),
			q("sum by (instance) ("+sel("mtproxy_state_unsynced_bytes")+")", "bytes {{instance}}")))
}
