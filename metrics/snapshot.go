package metrics

import (
	"os"
	"runtime"
	"time"

	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/middle"
)

// Snapshot takes every number at once: the counters, and the sources
// registered with the setters. It allocates, and is meant for scrapes.
func (m *Metrics) Snapshot() *Snapshot {
	began := time.Now()
	s := &Snapshot{
		Taken:       m.o.Now(),
		Start:       m.o.Start,
		PID:         os.Getpid(),
		Mode:        m.o.Mode,
		Version:     m.o.Version,
		Revision:    m.o.Revision,
		GoVersion:   runtime.Version(),
		Workers:     m.o.Workers,
		StatsPort:   m.o.StatsPort,
		ProxyTagSet: m.o.ProxyTagSet,
		Memory:      readMemory(m.o.ProcStatus),
	}
	m.fillClient(s)
	m.fillTraffic(s)
	m.fillUsers(s)
	m.fillMiddle(s)
	m.fillDCs(s)
	m.fillPaths(s)
	m.fillTargets(s)
	m.fillEnv(s)
	for w := range s.Panics {
		s.Panics[w] = m.panics[w].Load()
	}
	m.fillState(s)
	s.GenerateTime = time.Since(began)
	return s
}

func (m *Metrics) fillClient(s *Snapshot) {
	c := &s.Client
	if f := m.listening.Load(); f != nil {
		c.Listening = (*f)()
	}
	c.Open = m.open.Load()
	c.Limit = m.o.MaxConnections
	if p := m.proxy.Load(); p != nil {
		c.Limit = p.MaxConnections()
		c.Unauth = p.Unauthenticated()
		s.Buffers = p.BufferStats()
		s.Replay = p.ReplayStats()
	}
	c.Accepted = m.accepted.Load()
	for i := range c.Evictions {
		c.Evictions[i] = m.evictions[i].Load()
	}
	for i := range c.Rejected {
		c.Rejected[i] = m.rejected[i].Load()
	}
	for p := range c.Handshakes {
		for r := range c.Handshakes[p] {
			c.Handshakes[p][r] = m.handshakes[p][r].Load()
		}
	}
	for st := range c.Stages {
		for p := range c.Stages[st] {
			c.Stages[st][p] = m.stages[st][p].Load()
			c.Stalls[st][p] = m.stalls[st][p].Load()
		}
	}
	c.Fingerprints = m.hellos.snapshot()
	f := &s.Fronting
	for r := range f.Results {
		for x := range f.Results[r] {
			f.Results[r][x] = m.fronting[r][x].Load()
		}
	}
	f.Traffic = Bytes{m.frontIn.Load(), m.frontOut.Load()}
	m.fillFrontHost(&f.Host)
}

// fillTraffic sums the traffic matrix per secret and per DC.
func (m *Metrics) fillTraffic(s *Snapshot) {
	n := m.dcs.n()
	s.DCs = make([]DCStats, n)
	s.Secrets = make([]SecretStats, len(m.secrets))
	for i := range s.Secrets {
		s.Secrets[i] = SecretStats{
			Label: m.secrets[i], Active: m.secretActive[i].Load(), Total: m.secretTotal[i].Load(),
		}
		for st := range s.Secrets[i].Stalls {
			s.Secrets[i].Stalls[st] = m.secretStalls[i*numSecretStages+st].Load()
		}
	}
	for row := 0; row <= len(m.secrets); row++ {
		for d := range n {
			t := m.trafficAt(row, d)
			b := Bytes{t.FromClient.Load(), t.ToClient.Load()}
			s.DCs[d].Traffic.add(b)
			s.Client.Traffic.add(b)
			if row < len(m.secrets) {
				s.Secrets[row].Traffic.add(b)
			}
		}
	}
}

func (b *Bytes) add(o Bytes) {
	b.FromClient += o.FromClient
	b.ToClient += o.ToClient
}

func (m *Metrics) fillMiddle(s *Snapshot) {
	mid := &s.Middle
	if src := m.middle.Load(); src != nil {
		mid.Wired = true
		mid.Stats = src.Stats()
		s.ProxyTagSet = mid.ProxyTagSet
	}
	for r := range mid.Disconnects {
		mid.Disconnects[r] = m.mid.disconnects[r].Load()
	}
	for f := range mid.Refreshes {
		for r := range mid.Refreshes[f] {
			mid.Refreshes[f][r] = m.mid.refreshes[f][r].Load()
		}
	}
}

// fillDCs fills the per-label counters, the prober's health (mirrored for
// media DCs and "other", see DCStats.Probed) and the middle pools.
func (m *Metrics) fillDCs(s *Snapshot) {
	var health map[int]dcprobe.Health
	if p := m.prober.Load(); p != nil {
		s.Probe.Wired = true
		health = p.Snapshot()
	}
	s.Probe.DCs = len(health)
	for _, h := range health {
		if h.Up {
			s.Probe.Up++
		}
	}
	for i := range s.DCs {
		d := &s.DCs[i]
		d.Label = m.dcs.labels[i]
		d.ID, d.Known = m.dcs.id(i)
		d.HealthDC = dc.DefaultDC
		if d.Known {
			d.HealthDC = d.ID
			if _, own := health[d.ID]; !own && d.ID < 0 {
				d.HealthDC = -d.ID
			}
		}
		d.Health, d.Probed = health[d.HealthDC]
		for r := range dc.NumResults {
			d.Probes[r] = m.probes[i*dc.NumResults+r].Load()
			d.Dials[r] = m.dials[i*dc.NumResults+r].Load()
		}
		d.Active = m.dcActive[i].Load()
		for r := range middle.NumHandshakeResults {
			d.MiddleHandshakes[r] = m.mid.handshakes[i*middle.NumHandshakeResults+r].Load()
		}
	}
	for _, p := range s.Middle.DCs {
		d := &s.DCs[m.dcs.index(p.DC)]
		d.MiddleReady += p.Ready
		d.MiddleConnecting += p.Connecting
		if p.RTT > 0 && (d.MiddleRTT == 0 || p.RTT < d.MiddleRTT) {
			d.MiddleRTT = p.RTT
		}
	}
}

// fillTargets counts the targets: the middle layer's in middle mode (and in
// auto mode once Telegram's files are in); otherwise the prober's DCs (the configured ones before its first round)
// and the DC labels with clients.
func (m *Metrics) fillTargets(s *Snapshot) {
	t := &s.Targets
	if s.middleInUse() {
		*t = Targets{s.Middle.DeclaredTargets, s.Middle.ReadyTargets, s.Middle.ActiveTargets}
		return
	}
	t.Declared, t.Ready = s.Probe.DCs, s.Probe.Up
	if t.Declared == 0 {
		t.Declared = distinctCount(m.o.DCs)
	}
	for _, d := range s.DCs {
		if d.Active > 0 {
			t.Active++
		}
	}
}

// middleInUse reports whether clients go through middle proxies: middle
// mode, or auto mode with Telegram's config loaded.
func (s *Snapshot) middleInUse() bool {
	return s.Mode == ModeMiddle || (s.Mode == ModeAuto && s.Middle.Wired && !s.Middle.Config.LoadedAt.IsZero())
}

func distinctCount(ids []int) int {
	seen := make(map[int]bool, len(ids))
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

func (m *Metrics) fillEnv(s *Snapshot) {
	for _, src := range clockskew.Sources() {
		i, ok := skewIndex(src)
		if !ok {
			continue
		}
		st := &m.skew[i]
		c := &s.Clock[i]
		c.Source = src
		c.Measured = st.measured.Load()
		if c.Measured {
			c.Offset = time.Duration(st.offset.Load())
			c.At = time.Unix(0, st.at.Load())
		}
		c.OK, c.Errors, c.ServerFailures = st.ok.Load(), st.errs.Load(), st.serverFailures.Load()
	}
	if r := m.nat.Load(); r != nil {
		s.NAT.Known, s.NAT.State, s.NAT.Internal = true, r.State, r.Internal
	}
	for i := range s.NAT.Lookups {
		s.NAT.Lookups[i] = m.lookups[i].Load()
	}
}
