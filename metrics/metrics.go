package metrics

import (
	"sync/atomic"

	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/health/netinfo"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/replay"
	"github.com/prometheus/client_golang/prometheus"
)

// ProxySource is what the metrics pull from the engine at scrape time;
// *proxy.Proxy implements it.
type ProxySource interface {
	MaxConnections() int
	BufferStats() proxy.BufferStats
	Unauthenticated() proxy.UnauthStats
	ReplayStats() replay.Stats
}

// ProberSource is what the metrics pull from the DC prober at scrape time;
// *dcprobe.Prober implements it.
type ProberSource interface {
	Snapshot() map[int]dcprobe.Health
}

// Metrics is the proxy's single source of numbers. It implements the
// observers of the engine, the prober, the clock-skew monitor, the IP
// look-ups and the middle-proxy client, and pulls the rest from sources
// registered with its setters. [Metrics.Snapshot] takes every number at
// once; the Prometheus registry and the /stats page both render snapshots.
// All methods are safe for concurrent use.
type Metrics struct {
	o       Options
	secrets []string
	dcs     dcLabels

	accepted   atomic.Uint64
	open       atomic.Int64 // authenticated connections
	evictions  [proxy.NumEvictions]atomic.Uint64
	rejected   [proxy.NumRejectReasons]atomic.Uint64
	handshakes [proxy.NumProtocols][proxy.NumHandshakeResults]atomic.Uint64
	fronting   [proxy.NumHandshakeResults][proxy.NumFrontingResults]atomic.Uint64
	// stages counts connections reaching each stage of the funnel, stalls
	// those that ended there, by transport; secretStalls the
	// authenticated ones by [secret][stage - authenticated].
	stages       [proxy.NumStages][proxy.NumProtocols]atomic.Uint64
	stalls       [proxy.NumStages][proxy.NumProtocols]atomic.Uint64
	secretStalls []atomic.Uint64
	hellos       fingerprints
	frontIn      atomic.Uint64
	frontOut     atomic.Uint64

	// traffic is the [secret][dc] matrix the relay adds to; its last row
	// takes secret indexes without a label.
	traffic      []proxy.Traffic
	secretActive []atomic.Int64
	secretTotal  []atomic.Uint64
	dcActive     []atomic.Int64  // [dc]
	dials        []atomic.Uint64 // [dc][dial result]
	probes       []atomic.Uint64 // [dc][dial result]
	switches     []atomic.Uint64 // [dc][auto.Path]: path switches, by the path switched to

	skew    [numSkewSources]skewState
	lookups [numLookupResults]atomic.Uint64
	panics  [recovery.NumWhere]atomic.Uint64

	mid   middleCounters
	web   webCounters
	front frontCounters
	st    stateCounters

	users     atomic.Pointer[usersSource]
	proxy     atomic.Pointer[proxySource]
	prober    atomic.Pointer[proberSource]
	nat       atomic.Pointer[netinfo.Result]
	listening atomic.Pointer[func() bool]
	middle    atomic.Pointer[middleSource]
	paths     atomic.Pointer[pathSource]
	state     atomic.Pointer[stateSource]

	hist histograms
	reg  *prometheus.Registry
}

type proxySource struct{ ProxySource }
type proberSource struct{ ProberSource }

// New returns Metrics for o (see [Options] for the defaults) with every
// series at zero, and its private Prometheus registry populated.
func New(o Options) *Metrics {
	o = o.withDefaults()
	m := &Metrics{
		o:       o,
		secrets: uniqueLabels(o.Secrets),
		dcs:     newDCLabels(o.DCs),
	}
	n := m.dcs.n()
	m.traffic = make([]proxy.Traffic, (len(m.secrets)+1)*n)
	m.secretActive = make([]atomic.Int64, len(m.secrets))
	m.secretTotal = make([]atomic.Uint64, len(m.secrets))
	m.secretStalls = make([]atomic.Uint64, len(m.secrets)*numSecretStages)
	m.hellos.init()
	m.dcActive = make([]atomic.Int64, n)
	m.dials = make([]atomic.Uint64, n*dc.NumResults)
	m.probes = make([]atomic.Uint64, n*dc.NumResults)
	m.switches = make([]atomic.Uint64, n*int(auto.NumPaths))
	m.mid.init(n)
	m.st.init()
	m.hist = newHistograms(m.dcs.labels)
	m.reg = newRegistry(m)
	return m
}

// Registry returns the private registry /metrics serves: the proxy's
// metrics, the histograms, mtproxy_build_info and the Go and process
// collectors. Other components may register their own collectors on it.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetProxy registers the engine, whose connection limit and relay buffers
// are read at scrape time.
func (m *Metrics) SetProxy(p ProxySource) { m.proxy.Store(&proxySource{p}) }

// SetProber registers the DC prober, whose last round gives mtproxy_upstream_up,
// the probe connect and round-trip times, the ready targets and part of
// readiness.
func (m *Metrics) SetProber(p ProberSource) { m.prober.Store(&proberSource{p}) }

// SetNAT records the outcome of address detection (mtproxy_nat_state).
func (m *Metrics) SetNAT(r netinfo.Result) { m.nat.Store(&r) }

// SetListening registers the check that the client listener accepts
// connections (readiness, and /stats listening_connections).
func (m *Metrics) SetListening(f func() bool) { m.listening.Store(&f) }

// trafficAt returns the counters of secret row s and DC label index d.
func (m *Metrics) trafficAt(s, d int) *proxy.Traffic {
	return &m.traffic[s*m.dcs.n()+d]
}

// secretRow maps a secret index to its row of the traffic matrix: the last
// row for an index without a label.
func (m *Metrics) secretRow(secret int) int {
	if secret < 0 || secret >= len(m.secrets) {
		return len(m.secrets)
	}
	return secret
}

// numSecretStages is the number of stages counted per secret: those from
// authenticated on, where the secret is known.
const numSecretStages = proxy.NumStages - int(proxy.StageAuthenticated)
