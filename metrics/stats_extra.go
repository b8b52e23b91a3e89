package metrics

import (
	"fmt"

	"github.com/mtproxy/mtproxy/health/netinfo"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/users"
)

// extras writes this proxy's own keys after the official ones (old scripts
// parse line by line, so keys at the end are safe). Every key is always
// present; the per-secret and per-DC keys follow the configuration.
func extras(t *tsv, s *Snapshot) {
	t.s("mode", s.Mode.String())
	for r, v := range s.Client.Rejected {
		t.u("client_connections_rejected_"+proxy.RejectReason(r).String(), v)
	}
	for r := range proxy.NumHandshakeResults {
		var n uint64
		for p := range s.Client.Handshakes {
			n += s.Client.Handshakes[p][r]
		}
		t.u("handshakes_"+proxy.HandshakeResult(r).String(), n)
	}
	for st := range proxy.NumStages {
		var reached, stalled uint64
		for p := range proxy.NumProtocols {
			reached += s.Client.Stages[st][p]
			stalled += s.Client.Stalls[st][p]
		}
		t.u("client_stage_"+proxy.Stage(st).String(), reached)
		t.u("client_stalls_"+proxy.Stage(st).String(), stalled)
	}
	helloFingerprints(t, s.Client.Fingerprints)
	for x := range proxy.NumFrontingResults {
		var n uint64
		for r := range s.Fronting.Results {
			n += s.Fronting.Results[r][x]
		}
		t.u("fronting_"+proxy.FrontingResult(x).String(), n)
	}
	t.u("fronting_bytes_from_client", s.Fronting.Traffic.FromClient)
	t.u("fronting_bytes_to_client", s.Fronting.Traffic.ToClient)
	t.u("traffic_bytes_from_client", s.Client.Traffic.FromClient)
	t.u("traffic_bytes_to_client", s.Client.Traffic.ToClient)
	for i, sec := range s.Secrets {
		k := "secret_" + keyPart(sec.Label) + "_"
		t.i(k+"connections_active", sec.Active)
		t.u(k+"connections_total", sec.Total)
		t.u(k+"bytes_from_client", sec.Traffic.FromClient)
		t.u(k+"bytes_to_client", sec.Traffic.ToClient)
		if i < len(s.Users.Quota) {
			t.u(k+"quota_used_bytes", s.Users.Quota[i])
		}
	}
	if s.Users.Enabled {
		for r := users.Reason(1); int(r) < users.NumReasons; r++ {
			t.u("users_rejected_"+r.String(), s.Users.Rejected[r])
		}
		for i, st := range UserStates {
			t.i("users_"+string(st), int64(s.Users.States[i]))
		}
	}
	for _, d := range s.DCs {
		k := "dc_" + d.Label + "_"
		up := d.Probed && d.Health.Up
		t.i(k+"up", b2i(up))
		var ms, rtt int64
		if up {
			ms, rtt = d.Health.ConnectTime.Milliseconds(), d.Health.RTT.Milliseconds()
		}
		t.i(k+"connect_ms", ms)
		t.i(k+"rtt_ms", rtt)
		t.i(k+"probe_failures", int64(d.Health.Failures))
		t.s(k+"probe_result", probeResult(d))
		t.i(k+"connections", d.Active)
		t.u(k+"bytes_from_client", d.Traffic.FromClient)
		t.u(k+"bytes_to_client", d.Traffic.ToClient)
		t.s(k+"path", d.Path.String())
	}
	t.i("targets_declared", int64(s.Targets.Declared))
	t.i("targets_ready", int64(s.Targets.Ready))
	t.i("targets_active", int64(s.Targets.Active))
	var sw [auto.NumPaths]uint64
	for _, d := range s.DCs {
		for p, v := range d.PathSwitches {
			sw[p] += v
		}
	}
	for p, v := range sw {
		t.u("path_switches_to_"+auto.Path(p).String(), v)
	}
	middleExtras(t, s)
	for _, c := range s.Clock {
		k := "clock_skew_" + string(c.Source) + "_"
		t.f(k+"seconds", c.Offset.Seconds(), 6)
		var at int64
		if c.Measured {
			at = c.At.Unix()
		}
		t.i(k+"measured_at", at)
		t.u(k+"checks_ok", c.OK)
		t.u(k+"checks_error", c.Errors)
	}
	t.u("clock_skew_ntp_server_failures", s.Clock[skewNTP].ServerFailures)
	state := netinfo.Unknown
	if s.NAT.Known {
		state = s.NAT.State
	}
	t.s("nat_state", state.String())
	for i, v := range s.NAT.Lookups {
		t.u("nat_ip_lookups_"+LookupResultName(i), v)
	}
	t.i("buffer_size_bytes", int64(s.Buffers.Size))
}

func middleExtras(t *tsv, s *Snapshot) {
	mid := &s.Middle
	var ready, connecting int64
	for _, tg := range mid.Targets {
		ready += int64(tg.Ready)
		connecting += int64(tg.Connecting)
	}
	t.i("middle_connections_ready", ready)
	t.i("middle_connections_connecting", connecting)
	for r := range middle.NumHandshakeResults {
		var n uint64
		for _, d := range s.DCs {
			n += d.MiddleHandshakes[r]
		}
		t.u("middle_handshakes_"+middle.HandshakeResult(r).String(), n)
	}
	for r, v := range mid.Disconnects {
		t.u("middle_disconnects_"+middle.CloseReason(r).String(), v)
	}
	t.u("middle_rpc_bytes_sent", mid.RPC.BytesSent)
	t.u("middle_rpc_bytes_received", mid.RPC.BytesReceived)
	t.u("middle_queries_invalid", mid.InvalidQueries)
	t.u("middle_clients_closed_by_middle", mid.ClosedByMiddle)
	t.i("middle_queued_bytes", mid.QueuedBytes)
	var secretAt int64
	if !mid.Secret.LoadedAt.IsZero() {
		secretAt = mid.Secret.LoadedAt.Unix()
	}
	t.i("proxy_secret_loaded_at", secretAt)
	for f := range middle.NumFiles {
		for r, v := range mid.Refreshes[f] {
			t.u("telegram_"+middle.File(f).String()+"_refreshes_"+middle.RefreshResult(r).String(), v)
		}
	}
}

// probeResult is the class of a DC's last probe round: "ok" when up, the
// outcome that explains it when down, "unknown" before the first round.
func probeResult(d DCStats) string {
	switch {
	case !d.Probed:
		return "unknown"
	case d.Health.Up:
		return "ok"
	}
	return d.Health.Reason.Result.String()
}

// helloFingerprints writes the labelled JA4 values, most frequent first,
// as client_hello_ja4_1 .. _20: "<ja4> <hellos> ok=<authenticated>", or
// "none" for an empty rank; then client_hello_ja4_other.
func helloFingerprints(t *tsv, fps []Fingerprint) {
	rank := 0
	for _, f := range fps {
		v := fmt.Sprintf("%s %d ok=%d", f.JA4, f.Total, f.ByResult[proxy.HandshakeOK])
		if f.JA4 == OtherFingerprint {
			for ; rank < TopFingerprints; rank++ {
				t.s(fmt.Sprintf("client_hello_ja4_%d", rank+1), "none")
			}
			t.s("client_hello_ja4_other", fmt.Sprintf("%d ok=%d", f.Total, f.ByResult[proxy.HandshakeOK]))
			continue
		}
		rank++
		t.s(fmt.Sprintf("client_hello_ja4_%d", rank), v)
	}
}
