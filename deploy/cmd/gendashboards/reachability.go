package main

//lint:file-ignore SA1019 the dashboards are Grafana's v1 JSON model, which every Grafana release reads; the SDK's dashboardv2 needs Grafana 12's experimental v2 API

import "github.com/grafana/grafana-foundation-sdk/go/dashboard"

// reachability answers "do clients really get through?": the client
// funnel, where connections stall, the client hello fingerprints, and
// whether the DCs answer MTProto rather than just accept TCP.
func reachability() *dashboard.DashboardBuilder {
	return newBoard("mtproxy-reachability", "mtproxy / Reachability",
		"Whether clients really get through: the client funnel from accept to an established session, where connections stall, the ClientHello fingerprints (JA4) and their results, and whether each DC answers MTProto.").
		WithRow(dashboard.NewRowBuilder("Client funnel")).
		WithPanel(graph("Client funnel", "Client connections reaching each stage per second: accepted, first_byte, handshake_read (a whole ClientHello or 64-byte header), authenticated, upstream_connected, upstream_answered (Telegram's first byte relayed back), established (8 KiB relayed to the client). A gap between two lines is where clients are lost.", "ops",
			q("sum by (stage) ("+rate("mtproxy_client_stage_total")+")", "{{stage}}"))).
		WithPanel(stacked("Stalls by stage", "Client connections ending per second, by the furthest stage they reached. Scanners end at accepted and first_byte; a handshake that completes and then carries nothing ends at upstream_connected or upstream_answered: MTProxyClientsStalledAfterHandshake watches those.", "ops",
			q("sum by (stage) ("+rate("mtproxy_client_stalls_total")+")", "{{stage}}"))).
		WithPanel(graph("Authenticated share", "Authenticated connections as a share of accepted ones: MTProxyClientsNotAuthenticating fires below 5 %.", "percentunit",
			q("sum("+rate("mtproxy_client_stage_total", `stage="authenticated"`)+") / sum("+rate("mtproxy_client_stage_total", `stage="accepted"`)+")", "authenticated"))).
		WithPanel(graph("Established share of authenticated", "Connections that got 8 KiB from Telegram as a share of the authenticated ones that ended: a drop while authentications hold is throttling after the handshake.", "percentunit",
			q("sum("+rate("mtproxy_client_stalls_total", `stage="established"`)+") / sum("+rate("mtproxy_client_stalls_total", `stage=~"authenticated|upstream_connected|upstream_answered|established"`)+")", "established"))).
		WithPanel(stacked("Stalls by secret", "Authenticated connections ending per second by secret and furthest stage: which audience is affected.", "ops",
			q("sum by (secret, stage) ("+rate("mtproxy_secret_stalls_total")+")", "{{secret}} {{stage}}"))).
		WithRow(dashboard.NewRowBuilder("Client hello fingerprints")).
		WithPanel(stacked("Fingerprint mix", "FakeTLS ClientHellos per second by JA4 fingerprint (the 20 most frequent, the rest as other): which client builds reach the proxy.", "ops",
			q("sum by (ja4) ("+rate("mtproxy_client_hello_fingerprints_total")+")", "{{ja4}}"))).
		WithPanel(graph("Authenticated share by fingerprint", "Share of each fingerprint's hellos that authenticated: a block aimed at one client build shows as its share falling while others hold.", "percentunit",
			q("sum by (ja4) ("+rate("mtproxy_client_hello_fingerprints_total", `result="ok"`)+") / sum by (ja4) ("+rate("mtproxy_client_hello_fingerprints_total")+")", "{{ja4}}"))).
		WithRow(dashboard.NewRowBuilder("Telegram answers")).
		WithPanel(stacked("Probe outcomes", "Probes of DC addresses by outcome: ok (a resPQ for our nonce, or the middle proxy's RPC handshake), no_answer, reset and not_mtproto (TCP connects but Telegram does not answer: interception), timeout, refused, unreachable, error.", "ops",
			q("sum by (result) ("+rate("mtproxy_upstream_probes_total")+")", "{{result}}"))).
		WithPanel(graph("Probe round trip", "Fastest MTProto round trip of each DC's last probe round (0: down).", "s",
			q("max by (dc) ("+sel("mtproxy_upstream_probe_rtt_seconds")+")", "DC {{dc}}"))).
		WithPanel(stacked("Client dials by outcome", "Dials made for clients by outcome: ok only once the DC sent its first byte back; no_answer (connected, silent until the client left) and reset (closed before answering) are the passive sign of interception.", "ops",
			q("sum by (result) ("+rate("mtproxy_upstream_dials_total")+")", "{{result}}"))).
		WithPanel(graph("First answer latency", "Time from a client's connect to its DC to the DC's first byte back. The dots are exemplars: click one to open its trace.", "s",
			query{expr: quantile("0.5", "mtproxy_upstream_first_answer_seconds", ""), legend: "p50", exemplar: true},
			query{expr: quantile("0.9", "mtproxy_upstream_first_answer_seconds", ""), legend: "p90", exemplar: true}))
}
