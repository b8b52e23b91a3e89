package main

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import "github.com/grafana/grafana-foundation-sdk/go/dashboard"

const handshakeHist = "mtproxy_client_handshake_duration_seconds"

// overview is the client side: connections, handshakes, traffic, secrets,
// and what active probing of the proxy looks like.
func overview() *dashboard.DashboardBuilder {
	return newBoard("mtproxy-overview", "mtproxy / Overview",
		"Clients of the proxy: connections, handshakes by result, traffic, per-secret usage, rejections, fronting and replayed handshakes, and the fleet's shared state store.").
		WithRow(dashboard.NewRowBuilder("Clients")).
		WithPanel(single("Clients connected", "Open authenticated client connections (official total_special_connections).", "short",
			q("sum("+sel("mtproxy_client_connections_active")+")", "clients"))).
		WithPanel(single("Connection limit used", "Open authenticated connections as a share of the limit (60000 x WORKERS or MAX_CONNECTIONS); MTProxyConnectionsNearLimit fires above 90 %.", "percentunit",
			q("sum("+sel("mtproxy_client_connections_active")+") / sum("+sel("mtproxy_client_connections_limit")+")", "used")).
			Thresholds(thresholds(step("green"), step("orange", 0.8), step("red", 0.9)))).
		WithPanel(single("Successful handshakes", "Client handshakes that ended with result ok, per second.", "ops",
			q("sum("+rate("mtproxy_client_handshakes_total", `result="ok"`)+")", "ok"))).
		WithPanel(single("Traffic", "Bytes per second relayed for authenticated clients, both directions.", "Bps",
			q("sum("+rate("mtproxy_client_traffic_bytes_total")+")", "traffic"))).
		WithPanel(graph("Client connections", "Open client connections by instance.", "short",
			q("sum by (instance) ("+sel("mtproxy_client_connections_active")+")", "{{instance}}"))).
		WithPanel(graph("Accepted and rejected connections", "Accepted TCP connections, and connections refused: limit (a client authenticated over MAX_CONNECTIONS) or shutdown.", "ops",
			q("sum("+rate("mtproxy_client_connections_accepted_total")+")", "accepted"),
			q("sum by (reason) ("+rate("mtproxy_client_connections_rejected_total")+")", "rejected: {{reason}}"))).
		WithRow(dashboard.NewRowBuilder("Handshakes")).
		WithPanel(stacked("Handshakes by result", "Finished client handshakes by result: ok, bad_secret (no secret matched: scanners, or a client with an old secret), bad_sni, replay, stale_timestamp, not_tls, bad_tls, timeout, closed.", "ops",
			q("sum by (result) ("+rate("mtproxy_client_handshakes_total")+")", "{{result}}"))).
		WithPanel(stacked("Successful handshakes by transport", "Handshakes with result ok by client transport (abridged, intermediate, padded, faketls).", "ops",
			q("sum by (transport) ("+rate("mtproxy_client_handshakes_total", `result="ok"`)+")", "{{transport}}"))).
		WithPanel(graph("Handshake latency", "Duration of successful client handshakes, from accept. The dots are exemplars: click one to open its trace.", "s",
			query{expr: quantile("0.5", handshakeHist, ""), legend: "p50", exemplar: true},
			query{expr: quantile("0.9", handshakeHist, ""), legend: "p90", exemplar: true},
			query{expr: quantile("0.99", handshakeHist, ""), legend: "p99", exemplar: true})).
		WithPanel(buckets("Handshake latency distribution", "Successful client handshakes per duration bucket, with exemplars linking to traces.", handshakeHist)).
		WithPanel(graph("Refused clients holding a secret", "Share of handshakes that proved a valid secret but were refused for their SNI or timestamp (bad_sni, stale_timestamp): what MTProxyHandshakeFailureRatioHigh watches. Scanner noise is not part of it.", "percentunit",
			q("sum("+rate("mtproxy_client_handshakes_total", `result=~"bad_sni|stale_timestamp"`)+") / sum("+rate("mtproxy_client_handshakes_total", `result=~"ok|bad_sni|stale_timestamp"`)+")", "refused"))).
		WithPanel(graph("Connection duration", "Duration of authenticated client connections, from accept to close.", "s",
			q(quantile("0.5", "mtproxy_client_connection_duration_seconds", ""), "p50"),
			q(quantile("0.9", "mtproxy_client_connection_duration_seconds", ""), "p90"))).
		WithRow(dashboard.NewRowBuilder("Traffic")).
		WithPanel(graph("Traffic by direction", "Bytes per second relayed for authenticated clients, measured on the client's side.", "Bps",
			q("sum by (direction) ("+rate("mtproxy_client_traffic_bytes_total")+")", "{{direction}}"))).
		WithPanel(stacked("Traffic by DC", "Bytes per second relayed, by the DC the clients asked for (negative: media DCs).", "Bps",
			q("sum by (dc) ("+rate("mtproxy_client_traffic_bytes_total")+")", "DC {{dc}}"))).
		WithRow(dashboard.NewRowBuilder("Secrets")).
		WithPanel(stacked("Connections by secret", "Authenticated connections open now, by secret (its SECRET_NAMES name or index; never the secret).", "short",
			q("sum by (secret) ("+sel("mtproxy_secret_connections_active")+")", "{{secret}}"))).
		WithPanel(stacked("Traffic by secret", "Bytes per second relayed, by secret.", "Bps",
			q("sum by (secret) ("+rate("mtproxy_secret_traffic_bytes_total")+")", "{{secret}}"))).
		WithPanel(graph("New connections by secret", "Authenticated connections per second, by secret.", "ops",
			q("sum by (secret) ("+rate("mtproxy_secret_connections_total")+")", "{{secret}}"))).
		WithPanel(graph("Rejections", "Connections closed before their handshake, by reason, and handshakes refused, by result (everything but ok).", "ops",
			q("sum by (reason) ("+rate("mtproxy_client_connections_rejected_total")+")", "closed: {{reason}}"),
			q("sum by (result) ("+rate("mtproxy_client_handshakes_total", `result!="ok"`)+")", "refused: {{result}}"))).
		WithRow(dashboard.NewRowBuilder("Active probing")).
		WithPanel(graph("Replayed handshakes", "Handshakes that repeat an earlier one (someone resending a captured handshake): MTProxyReplayAttemptsSpike watches this.", "ops",
			q("sum by (instance) ("+rate("mtproxy_client_handshakes_total", `result="replay"`)+")", "{{instance}}"))).
		WithPanel(stacked("Fronted connections by cause", "Failed handshakes handed to the fronting host (TLS_DOMAIN or FRONTING_ADDR), by the failure that caused it.", "ops",
			q("sum by (reason) ("+rate("mtproxy_fronting_connections_total")+")", "{{reason}}"))).
		WithPanel(stacked("Fronting outcomes", "How failed handshakes ended: done (spliced to the site), dial_failed (the fronting host is unreachable), limit (byte, idle or lifetime bound), drained (no fronting host), loop (our own fronted bytes came back), dropped and alert (UNKNOWN_SNI), evicted.", "ops",
			q("sum by (result) ("+rate("mtproxy_fronting_connections_total")+")", "{{result}}"))).
		WithPanel(graph("Fronting traffic", "Bytes per second spliced between failed clients and the fronting host.", "Bps",
			q("sum by (direction) ("+rate("mtproxy_fronting_traffic_bytes_total")+")", "{{direction}}"))).
		WithPanel(graph("Unauthenticated connections", "Connections not yet authenticated (handshaking, fronted or drained) and their limit, MAX_UNAUTH_CONNECTIONS: sockets held open by scanners show here, apart from the clients.", "short",
			q("sum("+sel("mtproxy_unauth_connections")+")", "open"),
			q("sum("+sel("mtproxy_unauth_connections_limit", `scope="total"`)+")", "limit"))).
		WithPanel(graph("Unauthenticated connections evicted", "Unauthenticated connections closed to make room for a newer one, by the limit reached: limit (MAX_UNAUTH_CONNECTIONS) or per_ip (MAX_UNAUTH_PER_IP).", "ops",
			q("sum by (reason) ("+rate("mtproxy_unauth_evictions_total")+")", "{{reason}}")))
}
