package redisstate

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/state"
	"github.com/mtproxy/mtproxy/testkit/redisserver"
)

var (
	ip1 = netip.MustParsePrefix("192.0.2.1/32")
	ip2 = netip.MustParsePrefix("192.0.2.2/32")
	ip3 = netip.MustParsePrefix("2001:db8:1:2::/64")
)

// fleet returns two stores (replicas) on srv, both live.
func fleet(t *testing.T, srv *redisserver.Server, o Options) (a, b *Store) {
	a, _ = newStore(t, srv, o)
	b, _ = newStore(t, srv, o)
	a.heartbeat()
	b.heartbeat()
	if a.Stats().Replicas != 1 || b.Stats().Replicas != 2 {
		t.Fatalf("replicas seen: %d, %d", a.Stats().Replicas, b.Stats().Replicas)
	}
	return a, b
}

func open(t *testing.T, s *Store, from netip.Prefix, maxConns, maxIPs int, want Verdict) {
	t.Helper()
	if got := s.Leases().Open("alice", from, maxConns, maxIPs); got != want {
		t.Fatalf("%s: Open from %v (max %d conns, %d ips) = %v, want %v", s.Replica(), from, maxConns, maxIPs, got, want)
	}
}

// max_connections holds across replicas, and a closed connection frees
// its slot fleet-wide once written back.
func TestLeasesMaxConnectionsFleetWide(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, b := fleet(t, srv, Options{})
	open(t, a, ip1, 2, 0, Admitted)
	open(t, b, ip2, 2, 0, Admitted)
	open(t, b, ip2, 2, 0, OverConnections)
	open(t, a, ip1, 2, 0, OverConnections)
	if c, n := a.Leases().Holding("alice"); c != 1 || n != 1 {
		t.Fatalf("A holds %d connections from %d prefixes, want 1 and 1", c, n)
	}
	a.Leases().Close("alice", ip1)
	a.Leases().flush(false)
	open(t, b, ip3, 2, 0, Admitted)
	open(t, a, ip1, 2, 0, OverConnections)
}

// max_ips counts distinct client prefixes across replicas: a prefix
// already held anywhere may connect again.
func TestLeasesMaxIPsFleetWide(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, b := fleet(t, srv, Options{})
	open(t, a, ip1, 0, 2, Admitted)
	open(t, b, ip3, 0, 2, Admitted)
	open(t, b, ip2, 0, 2, OverIPs)
	open(t, b, ip1, 0, 2, Admitted) // held by A: not a new address
	open(t, a, ip3, 0, 2, Admitted) // held by B
	open(t, a, ip2, 0, 2, OverIPs)
}

// Users without limits never wait for the store; their counts are written
// in the background and count once a limit applies.
func TestLeasesUnlimitedWrittenInBackground(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, b := fleet(t, srv, Options{})
	open(t, a, ip1, 0, 0, Admitted)
	open(t, a, ip2, 0, 0, Admitted)
	if n, err := direct(t, srv).Exists(t.Context(), a.Leases().key("alice")).Result(); err != nil || n != 0 {
		t.Fatalf("an unlimited admission wrote to the store (%d, %v)", n, err)
	}
	a.Leases().flush(false)
	open(t, b, ip3, 2, 0, OverConnections)
	open(t, b, ip3, 3, 3, Admitted)
	open(t, b, netip.MustParsePrefix("198.51.100.9/32"), 0, 3, OverIPs) // A's two, B's one, and this
	open(t, b, ip1, 0, 3, Admitted)                                     // held by A
}

// A replica that leaves (Close) stops counting at once; one that dies
// stops counting after its lease TTL.
func TestLeasesDeadReplicaStopsCounting(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, b := fleet(t, srv, Options{LeaseTTL: 600 * time.Millisecond})
	open(t, a, ip1, 1, 0, Admitted)
	open(t, b, ip2, 1, 0, OverConnections)
	_ = a.Close()
	open(t, b, ip2, 1, 0, Admitted)

	c, _ := newStore(t, srv, Options{LeaseTTL: 600 * time.Millisecond})
	c.heartbeat()
	open(t, c, ip3, 2, 0, Admitted) // B holds one, C one: the limit
	b.Leases().Close("alice", ip2)  // B's own count is its own again
	// C "dies": no more heartbeats. B keeps its own going.
	eventually(t, "the dead replica's connection to stop counting", func() bool {
		b.heartbeat()
		return b.Leases().Open("alice", ip1, 1, 0) == Admitted
	})
}

// With the store down, admissions fall back to this replica's own counts
// (each replica enforces the limits alone) and never block; when it is
// back, the counts are written and hold fleet-wide again.
func TestLeasesFailOpenAndReconcile(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	o := Options{Timeout: 200 * time.Millisecond, DownAfter: 1, ProbeInterval: 20 * time.Millisecond}
	a, _ := newStore(t, srv, o)
	b, _ := newStore(t, srv, Options{})
	a.heartbeat()
	srv.Kill()
	open(t, a, ip1, 2, 0, Admitted) // the failed call
	if a.Health() != state.Down {
		t.Fatalf("health %v", a.Health())
	}
	open(t, a, ip2, 2, 0, Admitted)        // local: A holds 2
	open(t, a, ip3, 2, 0, OverConnections) // local limit
	srv.Restart()
	run(t, a) // probe, then the full write-back
	eventually(t, "A's connections written back", func() bool {
		n, _ := direct(t, srv).HLen(t.Context(), a.Leases().key("alice")).Result()
		return n == 1
	})
	b.heartbeat()
	open(t, b, ip3, 2, 0, OverConnections)
	open(t, b, ip3, 3, 0, Admitted)
}

// The lease writes are ordered: a stale value never replaces a newer one.
func TestLeaseScriptOrdering(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	rdb := direct(t, srv)
	ctx := t.Context()
	k := []string{"t:conns:alice"}
	for _, c := range []struct {
		seq   int
		value string
		want  int64
	}{{5, "5 2 192.0.2.1/32", 1}, {4, "4 7", 0}, {6, "6 0", 1}, {6, "6 9", 1}} {
		got, err := leaseScript.Run(ctx, rdb, k, "r1", c.seq, c.value, 60000).Int64()
		if err != nil || got != c.want {
			t.Fatalf("seq %d: %d %v, want %d", c.seq, got, err, c.want)
		}
	}
	if v, _ := rdb.HGet(ctx, k[0], "r1").Result(); v != "6 9" {
		t.Fatalf("value %q", v)
	}
}

// Run writes a given-back connection soon after it is closed (the close
// wakes the flush), so the slot frees fleet-wide without waiting for the
// next heartbeat.
func TestLeasesCloseWrittenByRun(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{})
	a, b := fleet(t, srv, Options{LeaseTTL: time.Hour, FlushInterval: time.Hour})
	run(t, a)
	open(t, a, ip1, 1, 0, Admitted)
	open(t, b, ip2, 1, 0, OverConnections)
	a.Leases().Close("alice", ip1)
	eventually(t, "the closed connection's slot to free on B", func() bool {
		return b.Leases().Open("alice", ip2, 1, 0) == Admitted
	})
}
