package metrics

import "github.com/prometheus/client_golang/prometheus"

// descs are the descriptions of the metrics the collector renders from a
// Snapshot. The names are fixed: dashboards and alerts are built on them
// (see the README's metric table).
type descs struct {
	clientActive, clientLimit, clientAccepted, clientRejected *prometheus.Desc
	clientHandshakes, clientTraffic                           *prometheus.Desc
	clientStages, clientStalls, secretStalls, clientHellos    *prometheus.Desc
	unauthConns, unauthLimit, unauthEvictions                 *prometheus.Desc
	secretActive, secretTotal, secretTraffic                  *prometheus.Desc
	secretQuota, usersRejections, usersStates                 *prometheus.Desc
	frontingConns, frontingTraffic                            *prometheus.Desc
	frontingLookups, profileProbes, profileFallback           *prometheus.Desc
	profileFlight                                             *prometheus.Desc
	upUp, upProbes, upProbeConnect, upProbeRTT, upDials       *prometheus.Desc
	upActive                                                  *prometheus.Desc
	upMode, upPath, upPathSwitches                            *prometheus.Desc
	targetsDeclared, targetsReady, targetsActive              *prometheus.Desc
	midConns, midHandshakes, midDisconnects, midRPCBytes      *prometheus.Desc
	midPingRTT                                                *prometheus.Desc
	midRPCFrames, midQueries, midResponses, midAcks           *prometheus.Desc
	midExt, midExtCreated, midShed, midBuffered               *prometheus.Desc
	tgLoaded, tgRefreshes, tgDCs                              *prometheus.Desc
	skewSeconds, skewChecks, natState, natLookups             *prometheus.Desc
	buffersInUse, buffersAllocated, bufferSize, buildInfo     *prometheus.Desc
	replayEntries, replayEvictions, panics                    *prometheus.Desc
	state                                                     stateDescs
}

func newDescs() *descs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("mtproxy_"+name, help, labels, nil)
	}
	return &descs{
		clientActive:     d("client_connections_active", "Authenticated client connections open now (official total_special_connections)."),
		clientLimit:      d("client_connections_limit", "The limit of authenticated client connections, MAX_CONNECTIONS (official total_max_special_connections)."),
		clientAccepted:   d("client_connections_accepted_total", "Accepted client TCP connections."),
		clientRejected:   d("client_connections_rejected_total", "Client connections refused, by reason: over MAX_CONNECTIONS once authenticated, or at shutdown.", "reason"),
		unauthConns:      d("unauth_connections", "Connections not yet authenticated now: handshaking, fronted or drained."),
		unauthLimit:      d("unauth_connections_limit", "Limits of unauthenticated connections: total (MAX_UNAUTH_CONNECTIONS) and per_ip (MAX_UNAUTH_PER_IP).", "scope"),
		unauthEvictions:  d("unauth_evictions_total", "Unauthenticated connections closed to make room for a newer one, by the limit reached.", "reason"),
		clientHandshakes: d("client_handshakes_total", "Finished client handshakes, by transport and result.", "transport", "result"),
		clientStages:     d("client_stage_total", "Client connections reaching each stage of the funnel, by transport as known at that stage.", "stage", "transport"),
		clientStalls:     d("client_stalls_total", "Client connections that ended with this stage as their furthest, by transport.", "stage", "transport"),
		secretStalls:     d("secret_stalls_total", "Authenticated client connections by the furthest stage they reached, by secret.", "secret", "stage"),
		clientHellos:     d("client_hello_fingerprints_total", "FakeTLS ClientHellos by JA4 fingerprint (the top 20 values, the rest as other) and handshake result.", "ja4", "result"),
		clientTraffic:    d("client_traffic_bytes_total", "Bytes relayed for authenticated clients, on the client's wire, by DC and direction.", "dc", "direction"),

		secretActive:  d("secret_connections_active", "Authenticated client connections open now, by secret.", "secret"),
		secretTotal:   d("secret_connections_total", "Authenticated client connections, by secret.", "secret"),
		secretTraffic: d("secret_traffic_bytes_total", "Bytes relayed for authenticated clients, by secret and direction.", "secret", "direction"),
		secretQuota:   d("secret_quota_used_bytes", "Bytes of the current quota period, by user (USERS_FILE).", "secret"),

		usersRejections: d("users_rejections_total", "Clients of a user refused after authenticating, by reason.", "reason"),
		usersStates:     d("users", "Users of USERS_FILE and SECRET, by state.", "state"),

		frontingConns:   d("fronting_connections_total", "Failed handshakes spliced to the fronting host (or drained), by cause and outcome.", "reason", "result"),
		frontingTraffic: d("fronting_traffic_bytes_total", "Bytes spliced between failed clients and the fronting host, by direction.", "direction"),
		frontingLookups: d("fronting_dns_lookups_total", "Look-ups of the fronting host's addresses, by result.", "result"),
		profileProbes:   d("fronting_profile_probes_total", "Recordings of the fronting site's TLS answer, by result.", "result"),
		profileFallback: d("fronting_profile_fallback", "1 while FakeTLS answers with the fallback profile (the site was never recorded)."),
		profileFlight:   d("fronting_profile_flight_bytes", "Size of the record standing in for the site's encrypted flight in FakeTLS answers (0 without FakeTLS)."),

		upUp:           d("upstream_up", "1 when an address of the DC answered the last probe round at the protocol level (MTProto resPQ, or the middle proxy's RPC handshake).", "dc"),
		upProbes:       d("upstream_probes_total", "Probes of DC addresses, by outcome.", "dc", "result"),
		upProbeConnect: d("upstream_probe_connect_seconds", "Fastest TCP connect of the DC's addresses that answered the last probe round (0 when down).", "dc"),
		upProbeRTT:     d("upstream_probe_rtt_seconds", "Fastest protocol round trip of the DC's last probe round (0 when down).", "dc"),
		upDials:        d("upstream_dials_total", "Dials to Telegram made for clients, by DC and result.", "dc", "result"),
		upActive:       d("upstream_connections_active", "Authenticated client connections assigned to the DC now.", "dc"),
		upMode:         d("upstream_mode", "1 for the MODE in use: direct, middle or auto.", "mode"),
		upPath:         d("upstream_path", "1 for the path the DC's new clients take now: middle or direct (MODE=auto chooses per DC).", "dc", "path"),
		upPathSwitches: d("upstream_path_switches_total", "Switches of the DC's path for new clients in MODE=auto, by the path switched to.", "dc", "to"),

		targetsDeclared: d("upstream_targets_declared", "Targets known: DCs of the table, or middle proxies of the config."),
		targetsReady:    d("upstream_targets_ready", "Targets reachable: probe up, or at least one ready RPC connection."),
		targetsActive:   d("upstream_targets_active", "Targets carrying client traffic now."),

		midConns:       d("middle_connections", "RPC connections to the DC's middle proxies, by state.", "dc", "state"),
		midHandshakes:  d("middle_handshakes_total", "RPC connection attempts to middle proxies, by DC and result.", "dc", "result"),
		midPingRTT:     d("middle_ping_rtt_seconds", "Fastest RPC_PING round trip of the DC's middle proxies' ready connections (0 before any pong).", "dc"),
		midDisconnects: d("middle_disconnects_total", "Ready RPC connections that ended, by reason.", "reason"),
		midRPCBytes:    d("middle_rpc_bytes_total", "Bytes on RPC connections, by direction.", "direction"),
		midRPCFrames:   d("middle_rpc_frames_total", "Frames on RPC connections, by direction.", "direction"),
		midQueries:     d("middle_queries_total", "Client packets forwarded to middle proxies or dropped.", "result"),
		midResponses:   d("middle_responses_total", "Middle-proxy answers forwarded to clients or dropped.", "result"),
		midAcks:        d("middle_simple_acks_total", "Middle-proxy quick ACKs forwarded to clients or dropped.", "result"),
		midExt:         d("middle_ext_connections", "Client connections multiplexed over RPC connections now."),
		midExtCreated:  d("middle_ext_connections_created_total", "Client connections multiplexed over RPC connections."),
		midShed:        d("middle_clients_shed_total", "Clients closed to bound memory: queue_full (their own answer queue) or memory_budget (the layer's budget).", "reason"),
		midBuffered:    d("middle_buffered_bytes", "Memory held for clients, within the layer's budget: uploads (packets being received) and answers (queued).", "kind"),

		tgLoaded:    d("telegram_config_loaded_timestamp_seconds", "When the version in use of Telegram's file was loaded (0: none).", "file"),
		tgRefreshes: d("telegram_config_refreshes_total", "Loads of Telegram's files, by file and result.", "file", "result"),
		tgDCs:       d("telegram_config_dcs", "DCs listed in the middle-proxy config in use."),

		skewSeconds: d("clock_skew_seconds", "This host's clock minus UTC, latest estimate of the source (0 before any).", "source"),
		skewChecks:  d("clock_skew_checks_total", "Clock checks, by source and result.", "source", "result"),
		natState:    d("nat_state", "1 for the current NAT state of the proxy's addresses.", "state"),
		natLookups:  d("nat_ip_lookups_total", "External IP look-ups, by result.", "result"),

		buffersInUse:     d("buffers_in_use", "Relay buffers holding bytes now (a bulk buffer counts as four)."),
		buffersAllocated: d("buffers_allocated_total", "Relay buffers ever allocated (a bulk buffer counts as four)."),
		bufferSize:       d("buffer_size_bytes", "Size of one relay buffer."),
		replayEntries:    d("replay_cache_entries", "Handshakes the replay cache remembers now."),
		replayEvictions:  d("replay_cache_evictions_total", "Handshakes the replay cache forgot, by reason: expired (out of their window) or full (forgotten early to make room).", "reason"),
		panics:           d("panics_total", "Panics recovered: the connection closed or the loop restarted, by place.", "where"),
		buildInfo:        d("build_info", "Always 1; the labels identify the build.", "version", "revision", "goversion"),

		state: newStateDescs(d),
	}
}

func (d *descs) all() []*prometheus.Desc {
	return append([]*prometheus.Desc{
		d.clientActive, d.clientLimit, d.clientAccepted, d.clientRejected, d.clientHandshakes, d.clientTraffic,
		d.clientStages, d.clientStalls, d.secretStalls, d.clientHellos,
		d.unauthConns, d.unauthLimit, d.unauthEvictions,
		d.secretActive, d.secretTotal, d.secretTraffic, d.secretQuota, d.usersRejections, d.usersStates,
		d.frontingConns, d.frontingTraffic,
		d.upUp, d.upProbes, d.upProbeConnect, d.upProbeRTT, d.upDials, d.upActive, d.upMode, d.upPath, d.upPathSwitches,
		d.frontingLookups, d.profileProbes, d.profileFallback, d.profileFlight,
		d.targetsDeclared, d.targetsReady, d.targetsActive,
		d.midConns, d.midPingRTT, d.midHandshakes, d.midDisconnects, d.midRPCBytes, d.midRPCFrames,
		d.midQueries, d.midResponses, d.midAcks, d.midExt, d.midExtCreated, d.midShed, d.midBuffered,
		d.tgLoaded, d.tgRefreshes, d.tgDCs,
		d.skewSeconds, d.skewChecks, d.natState, d.natLookups,
		d.buffersInUse, d.buffersAllocated, d.bufferSize, d.buildInfo,
		d.replayEntries, d.replayEvictions, d.panics,
	}, d.state.all()...)
}
