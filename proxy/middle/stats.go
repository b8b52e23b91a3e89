package middle

import (
	"net/netip"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of the middle-proxy layer, read with [Middle.Stats].
// Counters only grow; gauges are values at the time of the call. The
// field comments name the official /stats keys they feed.
type Stats struct {
	// Queries are client packets: Forwarded to a middle proxy
	// (tot_forwarded_queries), Dropped because the client's DC had no
	// ready connection (dropped_queries; the client is closed).
	Queries Counts
	// InvalidQueries counts client packets not forwarded because they are
	// not MTProto (too short, or unencrypted but not a key exchange
	// message); the official proxy ignores them too.
	InvalidQueries uint64
	// Responses are RPC_PROXY_ANS: Forwarded into a client's queue
	// (tot_forwarded_responses), Dropped because the client was gone or
	// its queue was full (dropped_responses).
	Responses Counts
	// SimpleAcks are RPC_SIMPLE_ACK quick ACKs, likewise
	// (tot_forwarded_simple_acks, dropped_simple_acks).
	SimpleAcks Counts
	// ClosedByMiddle counts clients closed by RPC_CLOSE_EXT.
	ClosedByMiddle uint64
	// SlowClients counts clients closed because their queue overflowed.
	SlowClients uint64
	// BudgetShed counts clients closed to keep the layer under
	// MemoryBudget: behind on their answers, or slowest with a packet.
	BudgetShed uint64

	// RPC counts the traffic on RPC connections.
	RPC Traffic

	// ExtConnections is the number of client connections multiplexed now
	// (ext_connections); ExtConnectionsCreated counts them since start
	// (ext_connections_created).
	ExtConnections        int64
	ExtConnectionsCreated uint64
	// QueuedBytes is the sum of the clients' outbound queues now;
	// QueuedBytesMax the most it ever was. Each client's queue is bounded
	// by ClientQueueBytes (plus one packet).
	QueuedBytes, QueuedBytesMax int64
	// BuffersInUse is the number of pooled packet buffers held now.
	BuffersInUse int64
	// UploadBytes is the size of the buffers holding the packets clients
	// are sending now; with QueuedBytes, what MemoryBudget bounds.
	UploadBytes  int64
	MemoryBudget int64

	// DeclaredTargets is the number of middle-proxy addresses in the
	// config (total_declared_targets); ReadyTargets those with at least
	// one ready connection (ready_targets, total_ready_targets);
	// ActiveTargets those carrying at least one client now
	// (active_targets).
	DeclaredTargets, ReadyTargets, ActiveTargets int
	// Targets describes each middle proxy, current and retired, sorted by
	// address.
	Targets []TargetStats
	// DCs summarises the pool per DC of the config, sorted by id.
	DCs []DCStats

	// Config and Secret describe Telegram's files in use.
	Config, Secret FileStats
	// ProxyTagSet reports whether an ad tag is sent (proxy_tag_set).
	ProxyTagSet bool
}

// Counts is a forwarded/dropped pair.
type Counts struct {
	Forwarded, Dropped uint64
}

// Traffic counts RPC frames and their bytes on the wire (padding frames
// and encryption padding included in the bytes).
type Traffic struct {
	BytesSent, BytesReceived   uint64
	FramesSent, FramesReceived uint64
}

// TargetStats describes one middle proxy.
type TargetStats struct {
	Addr netip.AddrPort
	// DCs are the DC ids the config lists this address for.
	DCs []int
	// Ready and Connecting count its RPC connections.
	Ready, Connecting int
	// Clients is the number of client connections bound to it.
	Clients int
	// Retired is true when the address left the config: it takes no new
	// clients and closes its connections as their clients leave.
	Retired bool
	// Failures counts consecutive failed attempts (the backoff exponent).
	Failures int
	// RTT is the fastest latest RPC_PING round trip of its ready
	// connections (0 before any pong).
	RTT time.Duration
}

// DCStats summarises the pool of one DC.
type DCStats struct {
	DC int
	// Targets and ReadyTargets count the DC's middle proxies and those
	// with a ready connection.
	Targets, ReadyTargets int
	// Ready and Connecting count RPC connections over the DC's targets.
	Ready, Connecting int
	// RTT is the fastest RPC_PING round trip over the DC's targets (0
	// before any pong).
	RTT time.Duration
}

// FileStats describes one of Telegram's files in use.
type FileStats struct {
	// Name is the cache file path, or the URL when there is no cache
	// (config_filename).
	Name string
	// Source is where the version in use came from.
	Source Source
	// LoadedAt is when the version in use was loaded (config_loaded_at);
	// Size its bytes (config_size); MD5 its hex MD5 (config_md5).
	LoadedAt time.Time
	Size     int
	MD5      string
	// DCs is the number of DCs listed (config_auth_clusters); 0 for the
	// secret.
	DCs int
	// LastRefresh and LastResult describe the latest load attempt.
	LastRefresh time.Time
	LastResult  RefreshResult
	// Age is how long ago the version in use was loaded.
	Age time.Duration
}

// paddedCounter is an atomic counter alone on its cache line, for
// counters every client touches.
type paddedCounter struct {
	atomic.Uint64
	_ [56]byte
}

// counters are the pool's per-packet counters.
type counters struct {
	queriesFwd, queriesDropped, queriesInvalid paddedCounter
	respFwd, respDropped                       paddedCounter
	acksFwd, acksDropped                       paddedCounter
	closedByMiddle, slowClients                paddedCounter
	bytesSent, bytesRecv                       paddedCounter
	framesSent, framesRecv                     paddedCounter
	extCreated                                 paddedCounter
	ext                                        atomic.Int64
	_                                          [56]byte
	queued                                     atomic.Int64
	_                                          [56]byte
	queuedMax                                  atomic.Int64
}

// addQueued adds n (negative to remove) to the queued bytes, keeping the
// high-water mark.
func (c *counters) addQueued(n int64) {
	v := c.queued.Add(n)
	if n <= 0 {
		return
	}
	for {
		m := c.queuedMax.Load()
		if v <= m || c.queuedMax.CompareAndSwap(m, v) {
			return
		}
	}
}

// fill copies the counters into s.
func (c *counters) fill(s *Stats) {
	s.Queries = Counts{c.queriesFwd.Load(), c.queriesDropped.Load()}
	s.InvalidQueries = c.queriesInvalid.Load()
	s.Responses = Counts{c.respFwd.Load(), c.respDropped.Load()}
	s.SimpleAcks = Counts{c.acksFwd.Load(), c.acksDropped.Load()}
	s.ClosedByMiddle = c.closedByMiddle.Load()
	s.SlowClients = c.slowClients.Load()
	s.RPC = Traffic{
		BytesSent: c.bytesSent.Load(), BytesReceived: c.bytesRecv.Load(),
		FramesSent: c.framesSent.Load(), FramesReceived: c.framesRecv.Load(),
	}
	s.ExtConnections = c.ext.Load()
	s.ExtConnectionsCreated = c.extCreated.Load()
	s.QueuedBytes = c.queued.Load()
	s.QueuedBytesMax = c.queuedMax.Load()
}
