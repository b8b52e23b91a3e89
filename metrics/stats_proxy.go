package metrics

import (
	"fmt"
	"math/bits"

	"github.com/mtproxy/mtproxy/proxy"
)

// official writes the official proxy block (mtproto/mtproto-proxy.c
// mtfront_prepare_stats), after the engine block.
func official(t *tsv, s *Snapshot, x derived) {
	mid := &s.Middle
	cfg := mid.Config
	t.s("config_filename", cfg.Name)
	var loaded int64
	if !cfg.LoadedAt.IsZero() {
		loaded = cfg.LoadedAt.Unix()
	}
	t.i("config_loaded_at", loaded)
	t.i("config_size", int64(cfg.Size))
	t.s("config_md5", cfg.MD5)
	t.i("config_auth_clusters", int64(cfg.DCs))
	t.i("workers", int64(s.Workers))
	t.i("queries_get", 0)
	t.f("qps_get", 0, 3)
	t.u("tot_forwarded_queries", mid.Queries.Forwarded)
	t.i("expired_forwarded_queries", 0)
	t.u("dropped_queries", mid.Queries.Dropped)
	t.u("tot_forwarded_responses", mid.Responses.Forwarded)
	t.u("dropped_responses", mid.Responses.Dropped)
	t.u("tot_forwarded_simple_acks", mid.SimpleAcks.Forwarded)
	t.u("dropped_simple_acks", mid.SimpleAcks.Dropped)
	for _, k := range []string{"active_rpcs_created", "active_rpcs", "rpc_dropped_answers", "rpc_dropped_running", "window_clamp"} {
		t.i(k, 0)
	}
	t.i("total_ready_targets", int64(s.Targets.Ready))
	t.i("total_allocated_targets", int64(s.Targets.Declared))
	t.i("total_declared_targets", int64(s.Targets.Declared))
	t.i("total_inactive_targets", 0)
	t.i("total_connections", x.conns)
	t.i("total_encrypted_connections", x.conns)
	t.i("total_allocated_connections", x.conns)
	t.i("total_allocated_outbound_connections", x.outbound)
	t.i("total_allocated_inbound_connections", x.inbound)
	t.i("total_allocated_socket_connections", x.inbound+x.outbound)
	t.i("total_dh_connections", 0)
	t.zeros("total_dh_rounds", 3)
	t.i("total_special_connections", s.Client.Open)
	t.i("total_max_special_connections", int64(s.Client.Limit))
	// init_accepted, calls, connection_limit, rate_limit, nonblock_set
	t.s("total_accept_connections_failed", fmt.Sprintf("0 0 %d 0 0", s.Client.Rejected[proxy.RejectLimit]))
	t.i("ext_connections", mid.ExtConnections)
	t.u("ext_connections_created", mid.ExtConnectionsCreated)
	t.i("total_active_network_events", 0)
	t.i("total_network_buffers_used_size", x.bufUsed)
	t.i("total_network_buffers_allocated_bytes", x.bufAlloc)
	t.i("total_network_buffers_used", s.Buffers.InUse)
	t.i("total_network_buffer_chunks_allocated", s.Buffers.Allocated)
	t.i("total_network_buffer_chunks_allocated_max", 0)
	t.u("mtproto_proxy_errors", mid.InvalidQueries)
	t.i("connections_failed_lru", 0)
	t.u("connections_failed_flood", mid.SlowClients)
	for _, k := range []string{"http_connections", "pending_http_queries", "http_queries", "http_bad_headers"} {
		t.i(k, 0)
	}
	t.f("http_qps", 0, 6)
	mode := int64(0)
	if s.middleInUse() {
		mode = officialProxyMode
	}
	t.i("proxy_mode", mode)
	t.i("proxy_tag_set", b2i(s.ProxyTagSet))
	t.s("version", versionLine(s))
}

// versionLine imitates the official "mtproxy-0.01 compiled at ... by gcc
// ... 64-bit after commit X", so scripts splitting it keep working.
func versionLine(s *Snapshot) string {
	return fmt.Sprintf("mtproxy-go-%s compiled by %s %d-bit after commit %s", s.Version, s.GoVersion, bits.UintSize, s.Revision)
}
