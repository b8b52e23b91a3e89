package metrics

import (
	"context"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/recovery"
)

var (
	_ proxy.Observer    = (*Metrics)(nil)
	_ direct.Observer   = (*Metrics)(nil) // the direct upstream's dials
	_ recovery.Observer = (*Metrics)(nil) // recovered panics, everywhere
)

// ClientAccepted counts an accepted TCP connection.
func (m *Metrics) ClientAccepted() {
	m.accepted.Add(1)
	m.stages[proxy.StageAccepted][proxy.ProtoUnknown].Add(1)
}

// ClientStage counts a connection reaching a stage of the funnel.
func (m *Metrics) ClientStage(ev proxy.StageEvent) {
	if int(ev.Stage) < proxy.NumStages && int(ev.Protocol) < proxy.NumProtocols {
		m.stages[ev.Stage][ev.Protocol].Add(1)
	}
}

// ClientRejected counts a connection closed before its handshake.
func (m *Metrics) ClientRejected(reason proxy.RejectReason) {
	if int(reason) < len(m.rejected) {
		m.rejected[reason].Add(1)
	}
}

// Handshake counts a finished client handshake; a successful one opens a
// connection of its secret and DC and is timed, with the span in ctx as the
// exemplar.
func (m *Metrics) Handshake(ctx context.Context, ev proxy.HandshakeEvent) {
	if int(ev.Protocol) >= proxy.NumProtocols || int(ev.Result) >= proxy.NumHandshakeResults {
		return
	}
	m.handshakes[ev.Protocol][ev.Result].Add(1)
	if ev.Protocol == proxy.ProtoFakeTLS {
		m.hellos.observe(ev.JA4, ev.Result)
	}
	if ev.Result != proxy.HandshakeOK {
		return
	}
	m.open.Add(1)
	if ev.Secret >= 0 && ev.Secret < len(m.secrets) {
		m.secretActive[ev.Secret].Add(1)
		m.secretTotal[ev.Secret].Add(1)
	}
	m.dcActive[m.dcs.index(ev.DC)].Add(1)
	observe(ctx, m.hist.handshake[ev.Protocol], ev.Duration.Seconds())
}

// Fronting counts a finished fronting splice and its bytes.
func (m *Metrics) Fronting(ev proxy.FrontingEvent) {
	if int(ev.Reason) < proxy.NumHandshakeResults && int(ev.Result) < proxy.NumFrontingResults {
		m.fronting[ev.Reason][ev.Result].Add(1)
	}
	if ev.BytesIn > 0 {
		m.frontIn.Add(uint64(ev.BytesIn))
	}
	if ev.BytesOut > 0 {
		m.frontOut.Add(uint64(ev.BytesOut))
	}
}

// UpstreamDial counts a dial towards Telegram made for a client by how it
// ended (OK only once the DC answered); a connected one has its connect
// and, when answered, its first answer timed, with the span in ctx as the
// exemplar.
func (m *Metrics) UpstreamDial(ctx context.Context, ev direct.DialEvent) {
	if int(ev.Result) >= dc.NumResults {
		return
	}
	d := m.dcs.index(ev.DC)
	m.dials[d*dc.NumResults+int(ev.Result)].Add(1)
	if ev.Result.Connected() {
		observe(ctx, m.hist.dial[d], ev.Duration.Seconds())
	}
	if ev.Result == dc.OK && ev.FirstAnswer > 0 {
		observe(ctx, m.hist.firstAnswer[d], ev.FirstAnswer.Seconds())
	}
}

// Traffic returns the counters of a client of secret index secret talking
// to DC dc: an index into a matrix allocated by New, so neither the call nor
// the relay's additions allocate. Per-DC and per-secret totals are summed
// at scrape time.
func (m *Metrics) Traffic(secret int, dc int) *proxy.Traffic {
	return m.trafficAt(m.secretRow(secret), m.dcs.index(dc))
}

// ClientClosed closes an authenticated connection (and the secret's and
// DC's), timing it, and counts an evicted unauthenticated one.
func (m *Metrics) ClientClosed(ev proxy.CloseEvent) {
	if ev.Evicted && int(ev.Eviction) < len(m.evictions) {
		m.evictions[ev.Eviction].Add(1)
	}
	if int(ev.Stage) < proxy.NumStages && int(ev.Protocol) < proxy.NumProtocols {
		m.stalls[ev.Stage][ev.Protocol].Add(1)
	}
	if !ev.Authenticated {
		return
	}
	m.open.Add(-1)
	if ev.Secret >= 0 && ev.Secret < len(m.secrets) {
		m.secretActive[ev.Secret].Add(-1)
		if ev.Stage >= proxy.StageAuthenticated {
			m.secretStalls[ev.Secret*numSecretStages+int(ev.Stage-proxy.StageAuthenticated)].Add(1)
		}
	}
	m.dcActive[m.dcs.index(ev.DC)].Add(-1)
	m.hist.connection.Observe(ev.Duration.Seconds())
}

// Panicked counts a recovered panic (recovery.Observer): the engine, the
// middle layer and the binary's loops report here.
func (m *Metrics) Panicked(w recovery.Where) {
	if w < recovery.NumWhere {
		m.panics[w].Add(1)
	}
}
