package metrics

import (
	"fmt"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/middle"
)

// officialProxyMode is the official proxy_mode value: PROXY_MODE_OUT, the
// only mode the official proxy runs in (through middle proxies).
const officialProxyMode = 2

// StatsPage renders s as the legacy /stats page: the official keys in the
// official order (see docs/stats.md for where that order comes from, and which
// keys are real and which permanently 0), then this proxy's own keys.
func StatsPage(s *Snapshot) []byte {
	t := &tsv{b: make([]byte, 0, 8<<10)}
	x := derive(s)
	engine(t, s, x)
	official(t, s, x)
	extras(t, s)
	return t.b
}

// derived are the official aggregates computed from a snapshot.
type derived struct {
	outbound, outboundReady int64 // connections to Telegram, and the ready ones
	conns                   int64 // all connections: clients and outbound
	inbound                 int64 // client sockets, authenticated or not
	created, failures       uint64
	bufUsed, bufAlloc       int64 // bytes
}

func derive(s *Snapshot) derived {
	var x derived
	if s.middleInUse() {
		for _, t := range s.Middle.Targets {
			x.outbound += int64(t.Ready + t.Connecting)
			x.outboundReady += int64(t.Ready)
		}
	} else {
		for _, d := range s.DCs {
			x.outbound += d.Active
		}
		x.outboundReady = x.outbound
	}
	x.inbound = s.Client.Open + int64(s.Client.Unauth.Open)
	x.conns = x.inbound + x.outboundReady
	for _, d := range s.DCs {
		for r, v := range d.Dials {
			if dc.Result(r) == dc.OK {
				x.created += v
			} else {
				x.failures += v
			}
		}
		for r, v := range d.MiddleHandshakes {
			if middle.HandshakeResult(r) == middle.HandshakeOK {
				x.created += v
			} else {
				x.failures += v
			}
		}
	}
	x.bufUsed = s.Buffers.InUse * int64(s.Buffers.Size)
	x.bufAlloc = s.Buffers.Allocated * int64(s.Buffers.Size)
	return x
}

// engine writes the official engine block (net/net-stats.c prepare_stats,
// its modules, then common/common-stats.c sb_memory).
func engine(t *tsv, s *Snapshot, x derived) {
	now, start := s.Taken.Unix(), s.Start.Unix()
	t.i("pid", int64(s.PID))
	t.i("start_time", start)
	t.i("current_time", now)
	t.i("uptime", now-start)
	t.f("tot_idle_time", 0, 3)
	t.f("average_idle_percent", 0, 3)
	t.f("recent_idle_percent", 0, 3)
	t.i("active_network_events", 0)
	t.f("time_after_epoll", 0, 6)
	t.i("epoll_calls", 0)
	t.i("epoll_intr", 0)
	var ip [4]byte
	if s.NAT.Internal.Is4() {
		ip = s.NAT.Internal.As4()
	}
	t.s("PID", fmt.Sprintf("[%d.%d.%d.%d:%d:%d:%d]", ip[0], ip[1], ip[2], ip[3], s.StatsPort, s.PID, start))
	t.module("connections", func() {
		t.i("active_connections", x.conns)
		t.i("active_dh_connections", 0)
		t.i("outbound_connections", x.outbound)
		t.i("ready_outbound_connections", x.outboundReady)
		t.i("active_outbound_connections", x.outboundReady)
		t.u("outbound_connections_created", x.created)
		t.u("total_connect_failures", x.failures)
		t.i("inbound_connections", x.inbound)
		t.i("active_inbound_connections", x.inbound)
		t.u("inbound_connections_accepted", s.Client.Accepted)
		t.i("listening_connections", b2i(s.Client.Listening))
		t.i("unused_connections_closed", 0)
		t.i("ready_targets", int64(s.Targets.Ready))
		t.i("allocated_targets", int64(s.Targets.Declared))
		t.i("active_targets", int64(s.Targets.Declared))
		t.i("inactive_targets", 0)
		t.i("free_targets", 0)
		t.i("max_connections", int64(s.Client.Limit))
		t.i("active_special_connections", s.Client.Open)
		t.i("max_special_connections", int64(s.Client.Limit))
		t.i("max_accept_rate", 0)
		t.f("cur_accept_rate_remaining", 0, 6)
		t.i("max_connection", 0)
		t.i("conn_generation", 0)
		t.i("allocated_connections", x.conns)
		t.i("allocated_outbound_connections", x.outbound)
		t.i("allocated_inbound_connections", x.inbound)
		t.i("allocated_socket_connections", x.inbound+x.outbound)
		for _, k := range []string{"tcp_readv_calls", "tcp_readv_intr", "tcp_readv_bytes", "tcp_writev_calls",
			"tcp_writev_intr", "tcp_writev_bytes", "free_later_size", "free_later_total",
			"accept_calls_failed", "accept_nonblock_set_failed"} {
			t.i(k, 0)
		}
		t.u("accept_connection_limit_failed", s.Client.Rejected[proxy.RejectLimit])
		t.i("accept_rate_limit_failed", 0)
		t.i("accept_init_accepted_failed", 0)
	})
	t.module("raw_msg", func() {
		t.i("rwm_total_msgs", 0)
		t.i("rwm_total_msg_parts", 0)
	})
	t.module("raw_msg_buffer", func() {
		t.i("total_used_buffers_size", x.bufUsed)
		t.i("total_used_buffers", s.Buffers.InUse)
		t.i("allocated_buffer_bytes", x.bufAlloc)
		t.i("buffer_chunk_alloc_ops", s.Buffers.Allocated)
		t.i("allocated_buffer_chunks", s.Buffers.Allocated)
		t.i("max_allocated_buffer_chunks", 0)
		t.i("max_buffer_chunks", 0)
		t.i("max_allocated_buffer_bytes", 0)
	})
	t.module("tl_parse", func() {
		for _, k := range []string{"rpc_queries_received", "rpc_answers_error", "rpc_answers_received",
			"rpc_sent_errors", "rpc_sent_answers", "rpc_sent_queries", "tl_in_allocated", "tl_out_allocated"} {
			t.i(k, 0)
		}
		t.f("rpc_qps", 0, 6)
		t.i("default_rpc_flags", 0)
	})
	t.module("crypto_aes", func() {
		t.i("allocated_aes_crypto", x.conns)
		t.i("allocated_aes_crypto_temp", 0)
		t.s("aes_pwd_hash", s.Middle.Secret.MD5)
	})
	t.module("crypto_dh", func() { t.zeros("tot_dh_rounds", 3) })
	t.module("jobs", func() { jobs(t) })
	t.module("mp_queue", func() {
		for _, k := range []string{"mpq_blocks_allocated", "mpq_blocks_allocated_max", "mpq_blocks_allocations",
			"mpq_blocks_true_allocations", "mpq_blocks_wasted", "mpq_blocks_prepared",
			"mpq_small_blocks_allocated", "mpq_small_blocks_allocated_max", "mpq_active", "mpq_allocated"} {
			t.i(k, 0)
		}
	})
	t.module("timers", func() {
		for _, k := range []string{"event_timer_insert_ops", "event_timer_remove_ops", "event_timer_alarms", "total_timers"} {
			t.i(k, 0)
		}
	})
	t.module("rpc_targets", func() {
		t.i("total_rpc_targets", int64(s.Middle.DeclaredTargets))
		var n int64
		for _, tg := range s.Middle.Targets {
			n += int64(tg.Ready)
		}
		t.i("total_connections_in_rpc_targets", n)
	})
	t.f("stats_generate_time", s.GenerateTime.Seconds(), 6)
	t.u("vmsize_bytes", s.Memory.VMSize)
	t.u("vmrss_bytes", s.Memory.VMRSS)
	t.u("vmdata_bytes", s.Memory.VMData)
}

// jobs writes the official job-threads module: this proxy has no job
// threads, so every value is 0.
func jobs(t *tsv) {
	t.groups("thread_average_idle_percent", "0.000")
	t.groups("thread_recent_idle_percent", "0.000")
	t.groups("tot_threads", "0")
	for _, k := range []string{"thread_load_average_user", "thread_load_average_sys", "thread_load_average",
		"thread_load_recent_user", "thread_load_recent_sys", "thread_load_recent"} {
		t.groups(k, "0.000")
	}
	for _, k := range []string{"load_average_user", "load_average_sys", "load_average_total", "load_recent_user",
		"load_recent_sys", "load_recent_total", "max_average_user", "max_average_sys", "max_average_total",
		"max_recent_user", "max_recent_sys", "max_recent_total"} {
		t.f(k, 0, 3)
	}
	t.i("job_timers_allocated", 0)
	t.i("jobs_created", 0)
	t.i("jobs_active", 0)
	t.groups("jobs_running", "0")
	t.i("jobs_allocated_memory", 0)
	t.i("timer_ops", 0)
	t.i("timer_ops_scheduler", 0)
}
