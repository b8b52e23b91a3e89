package metrics

import (
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/health/netinfo"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/proxy/replay"
)

// Snapshot is every number of the proxy at one instant: the one value both
// the Prometheus collector and the /stats page render, so no number is
// computed twice. The histograms (handshake, dial, connection and middle
// handshake durations) are not in it: they are Prometheus-only.
type Snapshot struct {
	// Taken is when the snapshot was taken; GenerateTime how long taking
	// it took.
	Taken        time.Time
	GenerateTime time.Duration
	// Start is when the process started; PID its process id.
	Start time.Time
	PID   int
	// Mode, Version, Revision, GoVersion, Workers, StatsPort: as configured.
	Mode                         Mode
	Version, Revision, GoVersion string
	Workers, StatsPort           int
	// ProxyTagSet reports an ad tag (the middle layer's view once wired).
	ProxyTagSet bool
	// Memory is the process's memory from /proc/self/status.
	Memory Memory

	Client   ClientStats
	Secrets  []SecretStats
	Users    UsersStats
	Fronting FrontingStats
	// DCs has one entry per dc label, in label order; the last is "other".
	DCs []DCStats
	// Probe summarises the prober's last round.
	Probe   ProbeStats
	Targets Targets
	Middle  MiddleStats
	// Clock has one entry per clock-skew source: ntp, then http_date.
	Clock   [NumSkewSources]SkewStats
	NAT     NATStats
	Buffers proxy.BufferStats
	// Replay is the handshake replay cache's size and evictions.
	Replay replay.Stats
	// Panics counts the panics recovered, by place.
	Panics [recovery.NumWhere]uint64
	// State is the shared state store's (STATE_URL) health and counters.
	State StateStats
}

// Memory is the process's virtual size, resident set and data segment, in
// bytes; zero when unknown.
type Memory struct {
	VMSize, VMRSS, VMData uint64
}

// Bytes is a pair of byte counts seen from the proxy's client side.
type Bytes struct {
	FromClient, ToClient uint64
}

// ClientStats describes the client side.
type ClientStats struct {
	// Listening reports the client listener accepting (see SetListening).
	Listening bool
	// Open is the number of authenticated client connections open now;
	// Limit their limit (MAX_CONNECTIONS).
	Open  int64
	Limit int
	// Unauth is the connections not yet authenticated and their limits;
	// Evictions counts those closed at a limit, by proxy.Eviction.
	Unauth    proxy.UnauthStats
	Evictions [proxy.NumEvictions]uint64
	// Accepted counts accepted TCP connections; Rejected those closed
	// before a handshake, by proxy.RejectReason.
	Accepted uint64
	Rejected [proxy.NumRejectReasons]uint64
	// Handshakes counts finished handshakes by transport and result.
	Handshakes [proxy.NumProtocols][proxy.NumHandshakeResults]uint64
	// Stages counts connections reaching each stage of the funnel, Stalls
	// those that ended at it (their furthest), by stage and transport.
	Stages, Stalls [proxy.NumStages][proxy.NumProtocols]uint64
	// Fingerprints are the FakeTLS ClientHellos by JA4: the labelled
	// values by count, largest first, then "other".
	Fingerprints []Fingerprint
	// Traffic is the relayed bytes of authenticated clients, all DCs.
	Traffic Bytes
}

// SecretStats describes the clients of one secret (or, with a users
// registry, of one of the top users, or of the "other" users).
type SecretStats struct {
	Label string
	// Active is the number of authenticated connections now; Total counts
	// them since start.
	Active int64
	Total  uint64
	// Traffic is their relayed bytes.
	Traffic Bytes
	// Stalls counts their connections by the furthest stage reached, from
	// authenticated on (index: stage - proxy.StageAuthenticated).
	Stalls [NumSecretStages]uint64
}

// NumSecretStages is the number of funnel stages counted per secret.
const NumSecretStages = numSecretStages

// FrontingStats describes failed handshakes spliced to the fronting host.
type FrontingStats struct {
	// Results counts splices by the handshake failure that caused them and
	// how they ended.
	Results [proxy.NumHandshakeResults][proxy.NumFrontingResults]uint64
	Traffic Bytes
	// Host is the fronting host's look-ups and TLS profile.
	Host FrontHostStats
}

// DCStats describes one dc label.
type DCStats struct {
	// Label is the label value; ID the DC id, when Known (not "other").
	Label string
	ID    int
	Known bool
	// Probed reports that Health is the prober's view of HealthDC: the DC
	// itself, its main DC for a media DC without a probe target of its
	// own, the default DC for "other".
	Probed   bool
	HealthDC int
	Health   dcprobe.Health
	// Probes counts probe attempts of this DC's addresses by result.
	Probes [dc.NumResults]uint64
	// Dials counts dials for clients by result.
	Dials [dc.NumResults]uint64
	// Active is the number of authenticated clients of this DC now.
	Active int64
	// Traffic is the relayed bytes of this DC's clients.
	Traffic Bytes
	// MiddleHandshakes counts RPC handshakes by middle.HandshakeResult.
	MiddleHandshakes [middle.NumHandshakeResults]uint64
	// MiddleReady and MiddleConnecting count the RPC connections of the
	// DC's middle proxies (a middle proxy serving several DCs counts under
	// each).
	MiddleReady, MiddleConnecting int
	// MiddleRTT is the fastest RPC_PING round trip of those connections
	// (0 before any pong).
	MiddleRTT time.Duration
	// Path is where the DC's new clients go now: the Auto's choice in
	// auto mode (see SetPaths), else the mode's.
	Path auto.Path
	// PathSwitches counts the DC's switches by the path switched to.
	PathSwitches [auto.NumPaths]uint64
}

// ProbeStats summarises the DC prober's last complete round.
type ProbeStats struct {
	// Wired reports that SetProber was called.
	Wired bool
	// DCs were probed in the last round (0 before the first); Up answered.
	DCs, Up int
}

// Targets are what the proxy connects to: DCs in direct mode, middle
// proxies in middle mode.
type Targets struct {
	// Declared are known (the DC table or the middle-proxy config); Ready
	// reachable (probe up, or a ready RPC connection); Active carry client
	// traffic now.
	Declared, Ready, Active int
}

// MiddleStats describes the middle-proxy layer; zero in direct mode.
type MiddleStats struct {
	// Wired reports that SetMiddle was called; Stats is then its snapshot.
	Wired bool
	middle.Stats
	// Disconnects counts ready RPC connections that ended, by reason.
	Disconnects [middle.NumCloseReasons]uint64
	// Refreshes counts loads of Telegram's files by file and result.
	Refreshes [middle.NumFiles][middle.NumRefreshResults]uint64
}

// NumSkewSources is the number of clock-skew sources (clockskew.Sources).
const NumSkewSources = numSkewSources

// SkewStats describes one clock-skew source.
type SkewStats struct {
	Source clockskew.Source
	// Measured reports a sample; Offset (our clock minus UTC) and At are
	// the latest one's.
	Measured bool
	Offset   time.Duration
	At       time.Time
	// OK and Errors count checks; ServerFailures counts NTP servers that
	// failed within a round (which may still have succeeded).
	OK, Errors, ServerFailures uint64
}

// NumLookupResults is the number of IP look-up results counted.
const NumLookupResults = numLookupResults

// LookupResultName returns the label of look-up result index i.
func LookupResultName(i int) string { return lookupResultNames()[i] }

// NATStats describes address detection.
type NATStats struct {
	// Known reports that SetNAT was called; State and Internal (the IPv4
	// internal address) are then its result's.
	Known    bool
	State    netinfo.NATState
	Internal netip.Addr
	// Lookups counts external-IP look-ups by result index (see
	// LookupResultName).
	Lookups [NumLookupResults]uint64
}
