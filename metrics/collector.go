package metrics

import (
	"github.com/mtproxy/mtproxy/health/netinfo"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/fronthost"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/replay"
	"github.com/mtproxy/mtproxy/proxy/tlsprofile"
	"github.com/mtproxy/mtproxy/users"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newRegistry builds the private registry of m: the snapshot collector,
// the histograms and the Go and process collectors. Nothing touches the
// global registry.
func newRegistry(m *Metrics) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{snapshot: m.Snapshot, d: newDescs()})
	reg.MustRegister(m.hist.collectors()...)
	reg.MustRegister(newWebCollector(&m.web))
	reg.MustRegister(m.st.latencyVec)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// collector renders one Snapshot per scrape as constant metrics.
type collector struct {
	snapshot func() *Snapshot
	d        *descs
}

// Describe sends every description.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.d.all() {
		ch <- d
	}
}

// Collect takes a snapshot and sends its metrics.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	e := emitter{ch}
	c.client(e, s)
	c.upstream(e, s)
	c.middle(e, s)
	c.env(e, s)
	c.state(e, s)
}

type emitter struct{ ch chan<- prometheus.Metric }

func (e emitter) gauge(d *prometheus.Desc, v float64, labels ...string) {
	e.ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (e emitter) counter(d *prometheus.Desc, v uint64, labels ...string) {
	e.ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

// bytes emits a from_client/to_client pair.
func (e emitter) bytes(d *prometheus.Desc, b Bytes, labels ...string) {
	n := len(labels)
	l := make([]string, n+1)
	copy(l, labels)
	l[n] = "from_client"
	e.counter(d, b.FromClient, l...)
	l[n] = "to_client"
	e.counter(d, b.ToClient, l...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *collector) client(e emitter, s *Snapshot) {
	d := c.d
	e.gauge(d.clientActive, float64(s.Client.Open))
	e.gauge(d.clientLimit, float64(s.Client.Limit))
	e.counter(d.clientAccepted, s.Client.Accepted)
	for r, v := range s.Client.Rejected {
		e.counter(d.clientRejected, v, proxy.RejectReason(r).String())
	}
	e.gauge(d.unauthConns, float64(s.Client.Unauth.Open))
	e.gauge(d.unauthLimit, float64(s.Client.Unauth.Limit), "total")
	e.gauge(d.unauthLimit, float64(s.Client.Unauth.PerIP), "per_ip")
	for r, v := range s.Client.Evictions {
		e.counter(d.unauthEvictions, v, proxy.Eviction(r).String())
	}
	for p := range s.Client.Handshakes {
		for r, v := range s.Client.Handshakes[p] {
			e.counter(d.clientHandshakes, v, proxy.Protocol(p).String(), proxy.HandshakeResult(r).String())
		}
	}
	for st := range s.Client.Stages {
		for p := range s.Client.Stages[st] {
			e.counter(d.clientStages, s.Client.Stages[st][p], proxy.Stage(st).String(), proxy.Protocol(p).String())
			e.counter(d.clientStalls, s.Client.Stalls[st][p], proxy.Stage(st).String(), proxy.Protocol(p).String())
		}
	}
	for _, f := range s.Client.Fingerprints {
		for r, v := range f.ByResult {
			e.counter(d.clientHellos, v, f.JA4, proxy.HandshakeResult(r).String())
		}
	}
	for _, dcs := range s.DCs {
		e.bytes(d.clientTraffic, dcs.Traffic, dcs.Label)
	}
	for i, sec := range s.Secrets {
		e.gauge(d.secretActive, float64(sec.Active), sec.Label)
		e.counter(d.secretTotal, sec.Total, sec.Label)
		e.bytes(d.secretTraffic, sec.Traffic, sec.Label)
		for st, v := range sec.Stalls {
			e.counter(d.secretStalls, v, sec.Label, (proxy.StageAuthenticated + proxy.Stage(st)).String())
		}
		if i < len(s.Users.Quota) {
			e.gauge(d.secretQuota, float64(s.Users.Quota[i]), sec.Label)
		}
	}
	for r := users.Reason(1); int(r) < users.NumReasons; r++ {
		e.counter(d.usersRejections, s.Users.Rejected[r], r.String())
	}
	for i, st := range UserStates {
		e.gauge(d.usersStates, float64(s.Users.States[i]), string(st))
	}
	for r := range s.Fronting.Results {
		if !proxy.HandshakeResult(r).Frontable() {
			continue
		}
		for x, v := range s.Fronting.Results[r] {
			e.counter(d.frontingConns, v, proxy.HandshakeResult(r).String(), proxy.FrontingResult(x).String())
		}
	}
	e.bytes(d.frontingTraffic, s.Fronting.Traffic)
	h := &s.Fronting.Host
	for r, v := range h.Lookups {
		e.counter(d.frontingLookups, v, fronthost.LookupResult(r).String())
	}
	for r, v := range h.Probes {
		e.counter(d.profileProbes, v, tlsprofile.Result(r).String())
	}
	e.gauge(d.profileFallback, b2f(h.ProfileKnown && h.Fallback))
	e.gauge(d.profileFlight, float64(h.FlightBytes))
}

func (c *collector) upstream(e emitter, s *Snapshot) {
	d := c.d
	for _, x := range s.DCs {
		up := x.Probed && x.Health.Up
		e.gauge(d.upUp, b2f(up), x.Label)
		connect, rtt := 0.0, 0.0
		if up {
			connect, rtt = x.Health.ConnectTime.Seconds(), x.Health.RTT.Seconds()
		}
		e.gauge(d.upProbeConnect, connect, x.Label)
		e.gauge(d.upProbeRTT, rtt, x.Label)
		for r := range dc.NumResults {
			res := dc.Result(r).String()
			e.counter(d.upProbes, x.Probes[r], x.Label, res)
			e.counter(d.upDials, x.Dials[r], x.Label, res)
		}
		e.gauge(d.upActive, float64(x.Active), x.Label)
		for p := range auto.NumPaths {
			e.gauge(d.upPath, b2f(x.Path == p), x.Label, p.String())
			e.counter(d.upPathSwitches, x.PathSwitches[p], x.Label, p.String())
		}
	}
	for m := range numModes {
		e.gauge(d.upMode, b2f(s.Mode == m), m.String())
	}
	e.gauge(d.targetsDeclared, float64(s.Targets.Declared))
	e.gauge(d.targetsReady, float64(s.Targets.Ready))
	e.gauge(d.targetsActive, float64(s.Targets.Active))
}

func (c *collector) middle(e emitter, s *Snapshot) {
	d, mid := c.d, &s.Middle
	for _, x := range s.DCs {
		e.gauge(d.midConns, float64(x.MiddleReady), x.Label, "ready")
		e.gauge(d.midConns, float64(x.MiddleConnecting), x.Label, "connecting")
		e.gauge(d.midPingRTT, x.MiddleRTT.Seconds(), x.Label)
		for r, v := range x.MiddleHandshakes {
			e.counter(d.midHandshakes, v, x.Label, middle.HandshakeResult(r).String())
		}
	}
	for r, v := range mid.Disconnects {
		e.counter(d.midDisconnects, v, middle.CloseReason(r).String())
	}
	e.counter(d.midRPCBytes, mid.RPC.BytesSent, "sent")
	e.counter(d.midRPCBytes, mid.RPC.BytesReceived, "received")
	e.counter(d.midRPCFrames, mid.RPC.FramesSent, "sent")
	e.counter(d.midRPCFrames, mid.RPC.FramesReceived, "received")
	for _, x := range []struct {
		desc *prometheus.Desc
		cnt  middle.Counts
	}{{d.midQueries, mid.Queries}, {d.midResponses, mid.Responses}, {d.midAcks, mid.SimpleAcks}} {
		e.counter(x.desc, x.cnt.Forwarded, "forwarded")
		e.counter(x.desc, x.cnt.Dropped, "dropped")
	}
	e.gauge(d.midExt, float64(mid.ExtConnections))
	e.counter(d.midExtCreated, mid.ExtConnectionsCreated)
	e.counter(d.midShed, mid.SlowClients, "queue_full")
	e.counter(d.midShed, mid.BudgetShed, "memory_budget")
	e.gauge(d.midBuffered, float64(mid.UploadBytes), "uploads")
	e.gauge(d.midBuffered, float64(mid.QueuedBytes), "answers")
	for f := range middle.NumFiles {
		file := middle.File(f)
		fs := mid.Secret
		if file == middle.FileConfig {
			fs = mid.Config
		}
		loaded := 0.0
		if !fs.LoadedAt.IsZero() {
			loaded = float64(fs.LoadedAt.UnixNano()) / 1e9
		}
		e.gauge(d.tgLoaded, loaded, file.String())
		for r, v := range mid.Refreshes[f] {
			e.counter(d.tgRefreshes, v, file.String(), middle.RefreshResult(r).String())
		}
	}
	e.gauge(d.tgDCs, float64(mid.Config.DCs))
}

func (c *collector) env(e emitter, s *Snapshot) {
	d := c.d
	for _, k := range s.Clock {
		e.gauge(d.skewSeconds, k.Offset.Seconds(), string(k.Source))
		e.counter(d.skewChecks, k.OK, string(k.Source), "ok")
		e.counter(d.skewChecks, k.Errors, string(k.Source), "error")
	}
	state := netinfo.Unknown
	if s.NAT.Known {
		state = s.NAT.State
	}
	for _, st := range []netinfo.NATState{netinfo.Unknown, netinfo.Public, netinfo.BehindNAT, netinfo.Mismatch} {
		e.gauge(d.natState, b2f(st == state), st.String())
	}
	for i, v := range s.NAT.Lookups {
		e.counter(d.natLookups, v, LookupResultName(i))
	}
	e.gauge(d.buffersInUse, float64(s.Buffers.InUse))
	e.counter(d.buffersAllocated, uint64(max(s.Buffers.Allocated, 0)))
	e.gauge(d.bufferSize, float64(s.Buffers.Size))
	e.gauge(d.replayEntries, float64(s.Replay.Entries))
	for w, v := range s.Panics {
		e.counter(d.panics, v, recovery.Where(w).String())
	}
	for r, v := range s.Replay.Evicted {
		e.counter(d.replayEvictions, v, replay.EvictReason(r).String())
	}
	e.gauge(d.buildInfo, 1, s.Version, s.Revision, s.GoVersion)
}
