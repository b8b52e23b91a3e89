package middle

import (
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// Our RPC_PING keeps an idle connection alive: the middle proxy answers,
// and the connection outlives PingTimeout many times over. The middle
// proxy's pings are answered with pongs.
func TestPingKeepsIdleConnAlive(t *testing.T) {
	const interval, timeout = 40 * time.Millisecond, 800 * time.Millisecond
	r := newRig(t, rigOpts{opts: func(o *Options) {
		o.MinConnections, o.MaxConnections = 1, 1
		o.PingInterval, o.PingTimeout = interval, timeout
	}})
	// Each ping follows at least PingInterval of silence: 50 pings on one
	// connection take at least 2s, 2.5 PingTimeouts.
	eventually(t, "50 pings", 30*time.Second, func() bool { return r.mids[0].Pings() >= 50 })
	if ev := r.obs.closeEvents(); len(ev) != 0 {
		t.Fatalf("connections closed: %+v", ev)
	}
	if st := r.mids[0].Stats(); st.Accepted != 1 || st.Conns != 1 {
		t.Fatalf("fake stats %+v", st)
	}
	r.mids[0].Ping(0x1122334455667788)
	eventually(t, "our pong", 5*time.Second, func() bool {
		p := r.mids[0].Pongs()
		return len(p) == 1 && p[0] == 0x1122334455667788
	})
	echo(t, r.dial(client.Padded, 2), 1, 64)
	r.noViolations()
}

// A middle proxy that falls silent (no answers, no pongs) is dropped after
// PingTimeout, with its clients.
func TestSilentMiddleProxyDropped(t *testing.T) {
	const interval, timeout = 40 * time.Millisecond, time.Second
	r := newRig(t, rigOpts{opts: func(o *Options) {
		o.MinConnections, o.MaxConnections = 1, 1
		o.PingInterval, o.PingTimeout = interval, timeout
	}})
	c := r.dial(client.Intermediate, 2)
	echo(t, c, 1, 64)
	r.mids[0].SetMode(fakemiddle.ModeMute)
	expectClosed(t, c)
	eventually(t, "a ping timeout", 10*time.Second, func() bool { return r.obs.closeReasons()[ClosePingTimeout] >= 1 })
	ev := r.obs.closeEvents()[0]
	if ev.Reason != ClosePingTimeout || ev.Lifetime < timeout || ev.Clients != 1 || ev.DC != 2 || ev.Target != r.mids[0].Addr() {
		t.Errorf("close event %+v", ev)
	}
	if r.mids[0].Pings() == 0 {
		t.Error("no RPC_PING sent before giving up")
	}
	r.mids[0].SetMode(fakemiddle.ModeNormal)
	r.waitTargets(1)
	echo(t, r.dial(client.Intermediate, 2), 2, 64)
}

// Our RPC_PINGs time the round trip of live connections, also while they
// carry traffic; the stats report it per target and per DC.
func TestPingMeasuresRTT(t *testing.T) {
	r := newRig(t, rigOpts{opts: func(o *Options) {
		o.MinConnections, o.MaxConnections = 1, 1
		o.PingInterval = 20 * time.Millisecond
	}})
	c := r.dial(client.Padded, 2)
	eventually(t, "a measured round trip", 30*time.Second, func() bool {
		echo(t, c, 1, 64) // traffic does not hold the pings back
		st := r.m.Stats()
		for _, d := range st.DCs {
			if d.DC == 2 && d.RTT > 0 {
				return len(st.Targets) == 1 && st.Targets[0].RTT > 0 && st.Targets[0].RTT <= d.RTT
			}
		}
		return false
	})
}
