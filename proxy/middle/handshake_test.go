package middle

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// CRC32C is used when the middle proxy agrees to it, CRC32 otherwise, and
// traffic flows either way (a wrong checksum would make every frame fail).
func TestChecksumNegotiation(t *testing.T) {
	for _, tc := range []struct {
		disable bool
		want    rpc.Checksum
	}{{false, rpc.ChecksumCRC32C}, {true, rpc.ChecksumCRC32}} {
		t.Run(tc.want.String(), func(t *testing.T) {
			r := newRig(t, rigOpts{fm: func(_ *rig, _ int, o *fakemiddle.Options) { o.DisableCRC32C = tc.disable }})
			r.waitTargets(2)
			c := r.dial(client.Intermediate, 2)
			for i := range 5 {
				echo(t, c, uint32(i), 64+400*i)
			}
			evs, _ := r.obs.handshakeEvents()
			for _, ev := range evs {
				if ev.Result != HandshakeOK || ev.Checksum != tc.want {
					t.Errorf("handshake %+v, want ok with %v", ev, tc.want)
				}
			}
			r.noViolations()
		})
	}
}

// A handshake the middle proxy does not complete is reported with the
// result that names the cause, counted in the target's stats, retried, and
// leaves the DC without ready connections: clients are closed and counted
// as dropped, not left hanging.
func TestHandshakeFailures(t *testing.T) {
	otherSecret := func(r *rig) []byte {
		s := append([]byte(nil), r.secret...)
		s[40] ^= 1 // same key selector, other key material
		return s
	}
	cases := []struct {
		name string
		fm   func(r *rig, o *fakemiddle.Options)
		opts func(o *Options)
		mode fakemiddle.Mode
		want HandshakeResult
		fake string // the fake's failure reason
	}{
		{name: "wrong_external_ip",
			fm:   func(_ *rig, o *fakemiddle.Options) { o.ExpectClientIP = netip.MustParseAddr("203.0.113.7") },
			opts: func(o *Options) { o.ExternalIP = netip.MustParseAddr("203.0.113.8") },
			want: HandshakeClosedAfterNonce, fake: "bad_handshake_crypto"},
		{name: "missing_external_ip",
			fm:   func(_ *rig, o *fakemiddle.Options) { o.ExpectClientIP = netip.MustParseAddr("203.0.113.7") },
			want: HandshakeClosedAfterNonce, fake: "bad_handshake_crypto"},
		{name: "stale_secret",
			fm:   func(r *rig, o *fakemiddle.Options) { o.Secret = otherSecret(r) },
			want: HandshakeClosedAfterNonce, fake: "bad_handshake_crypto"},
		{name: "unknown_key_selector",
			fm: func(r *rig, o *fakemiddle.Options) {
				o.Secret = otherSecret(r)
				o.Secret[0] ^= 1
			},
			want: HandshakeClosedBeforeNonce, fake: "bad_key_selector"},
		{name: "clock_skew", // the middle proxy refuses us first
			fm:   func(_ *rig, o *fakemiddle.Options) { o.ClockSkew = -5 * time.Minute },
			want: HandshakeClosedBeforeNonce, fake: "clock_skew"},
		{name: "our_clock_skewed",
			// Options.Now runs 40 s behind: sockets must still use the real
			// clock for deadlines (else every handshake times out at once).
			opts: func(o *Options) { o.Now = func() time.Time { return time.Now().Add(-40 * time.Second) } },
			want: HandshakeClosedBeforeNonce, fake: "clock_skew"},
		{name: "clock_skew_seen_by_us",
			fm: func(_ *rig, o *fakemiddle.Options) {
				o.ClockSkew, o.NoTimeCheck = 31*time.Second, true
			},
			want: HandshakeClockSkew},
		{name: "refused", mode: fakemiddle.ModeRefuse, want: HandshakeRefused, fake: "refused"},
		{name: "garbage", mode: fakemiddle.ModeGarbage, want: HandshakeProtocolError, fake: "garbage"},
		{name: "close_on_accept", mode: fakemiddle.ModeCloseOnAccept, want: HandshakeClosedBeforeNonce},
		{name: "silent", mode: fakemiddle.ModeSilent, want: HandshakeTimeout, fake: "silent",
			opts: func(o *Options) { o.HandshakeTimeout = 200 * time.Millisecond }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOpts{
				fm: func(r *rig, _ int, o *fakemiddle.Options) {
					if tc.fm != nil {
						tc.fm(r, o)
					}
				},
				opts: func(o *Options) {
					o.ReadyWait = -1
					if tc.opts != nil {
						tc.opts(o)
					}
				},
				noStart: true,
			})
			r.mids[0].SetMode(tc.mode)
			r.ro.noWait = true
			r.start()

			eventually(t, "three failed attempts", 15*time.Second, func() bool {
				return r.obs.handshakeResults()[tc.want] >= 3
			})
			res := r.obs.handshakeResults()
			if tc.fake == "bad_handshake_crypto" {
				// With the wrong keys the middle proxy (the official one
				// as this fake) decrypts a random frame length; about one
				// attempt in 4,096 reads a plausible one and waits for
				// bytes that never come, so our side times out instead.
				delete(res, HandshakeTimeout)
			}
			if res[HandshakeOK] != 0 || len(res) != 1 {
				t.Fatalf("results %v, want only %v", res, tc.want)
			}
			evs, _ := r.obs.handshakeEvents()
			for _, ev := range evs {
				if ev.Err == nil || ev.Target != r.mids[0].Addr() || ev.DC != 2 {
					t.Errorf("event %+v: want an error, the target and DC 2", ev)
				}
				if strings.Contains(ev.Err.Error(), string(r.secret[4:20])) {
					t.Errorf("error %q contains the secret", ev.Err)
				}
			}
			if tc.fake != "" {
				if n := r.mids[0].Stats().Failures[tc.fake]; n == 0 {
					t.Errorf("fake failures %v, want %q", r.mids[0].Stats().Failures, tc.fake)
				}
			}
			st := r.m.Stats()
			if st.ReadyTargets != 0 || st.DeclaredTargets != 1 || len(st.Targets) != 1 || st.Targets[0].Failures == 0 {
				t.Errorf("stats: ready %d declared %d targets %+v", st.ReadyTargets, st.DeclaredTargets, st.Targets)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			if err := r.m.WaitReady(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("WaitReady: %v", err)
			}
			cancel()

			c := r.dial(client.Intermediate, 2)
			if err := c.WritePacket(encPacket(1, 64), false); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, c)
			eventually(t, "the dropped query counted, the client gone", 5*time.Second, func() bool {
				st := r.m.Stats()
				return st.Queries.Dropped == 1 && st.ExtConnections == 0
			})
			if st := r.m.Stats(); st.Queries.Forwarded != 0 || st.ExtConnectionsCreated != 1 {
				t.Errorf("queries %+v, ext created %d", st.Queries, st.ExtConnectionsCreated)
			}
			if tc.mode == fakemiddle.ModeNormal {
				return
			}
			// The middle proxy recovers: the pool reconnects and serves.
			r.mids[0].SetMode(fakemiddle.ModeNormal)
			r.waitTargets(2)
			if f := r.m.Stats().Targets[0].Failures; f != 0 {
				t.Errorf("failures %d after recovery", f)
			}
			echo(t, r.dial(client.Abridged, 2), 1, 64)
		})
	}
}

// Failed attempts are retried with a growing delay: at least half of
// ReconnectMin doubled per failure, capped at ReconnectMax; only one
// attempt at a time probes a failing target. Only lower bounds are
// checked (a loaded machine only adds delay).
func TestReconnectBackoff(t *testing.T) {
	const lo, hi = 40 * time.Millisecond, 160 * time.Millisecond
	r := newRig(t, rigOpts{
		opts:    func(o *Options) { o.ReconnectMin, o.ReconnectMax = lo, hi },
		noStart: true,
	})
	r.mids[0].SetMode(fakemiddle.ModeCloseOnAccept)
	r.ro.noWait = true
	r.start()
	eventually(t, "8 attempts", 20*time.Second, func() bool {
		return len(r.obs.handshakeResults()) > 0 && r.obs.handshakeResults()[HandshakeClosedBeforeNonce] >= 8
	})
	_, at := r.obs.handshakeEvents()
	// The first MinConnections (2) attempts start together; each later one
	// waits for the backoff after the previous failure.
	for i := 2; i < 8; i++ {
		failures := i - 1
		d := lo << (failures - 1)
		d = min(d, hi)
		if gap := at[i].Sub(at[i-1]); gap < d/2 {
			t.Errorf("attempt %d came %v after the previous, want at least %v", i, gap, d/2)
		}
	}
	if got := r.m.Stats().Targets[0].Failures; got < 7 {
		t.Errorf("failures %d, want at least 7", got)
	}
	if st := r.mids[0].Stats(); st.Accepted < 8 {
		t.Errorf("fake accepted %d", st.Accepted)
	}
	r.mids[0].SetMode(fakemiddle.ModeNormal)
	r.waitTargets(2)
}

// The pool keeps MinConnections per target, grows by one when every
// connection carries ConnClients clients, never beyond MaxConnections, and
// binds a new client to the least loaded connection.
func TestConnectionCounts(t *testing.T) {
	r := newRig(t, rigOpts{opts: func(o *Options) {
		o.MinConnections, o.MaxConnections, o.ConnClients = 2, 3, 2
	}})
	r.waitTargets(2)
	if n := r.mids[0].Stats().Conns; n != 2 {
		t.Fatalf("fake has %d connections, want 2", n)
	}
	var cs []*client.Conn
	for i := range 3 {
		c := r.dial(client.Intermediate, 2)
		echo(t, c, uint32(i), 64)
		cs = append(cs, c)
	}
	// Three clients on two connections: one carries two, which asks for
	// a third connection.
	r.waitTargets(3)
	c := r.dial(client.Intermediate, 2)
	echo(t, c, 3, 64)
	cs = append(cs, c)
	id := connIDOf(t, r.mids[0], c)
	if q := requestsOf(r.mids[0], id); q[0].Conn != 3 {
		t.Errorf("fourth client went to connection %d, want the new, empty one (3)", q[0].Conn)
	}
	for i := range 10 {
		c := r.dial(client.Abridged, 2)
		echo(t, c, uint32(10+i), 64)
		cs = append(cs, c)
	}
	st := r.m.Stats()
	if ts := st.Targets[0]; ts.Ready != 3 || ts.Connecting != 0 || ts.Clients != 14 {
		t.Errorf("target %+v, want 3 ready, 14 clients", ts)
	}
	if st.ExtConnections != 14 || st.ActiveTargets != 1 {
		t.Errorf("ext %d active %d", st.ExtConnections, st.ActiveTargets)
	}
	if n := r.mids[0].Stats().Accepted; n != 3 {
		t.Errorf("fake accepted %d connections, want 3 (MaxConnections)", n)
	}
	// The least loaded connection is picked: 14 clients over 3 connections
	// that each had 0..2 when the last one opened.
	perConn := map[int]map[uint64]bool{}
	for _, q := range r.mids[0].Requests() {
		if perConn[q.Conn] == nil {
			perConn[q.Conn] = map[uint64]bool{}
		}
		perConn[q.Conn][q.ConnID] = true
	}
	for conn, ids := range perConn {
		if len(ids) < 4 || len(ids) > 6 {
			t.Errorf("connection %d carries %d clients, want 4..6", conn, len(ids))
		}
	}
	for _, c := range cs {
		_ = c.Close()
	}
	eventually(t, "clients gone", 10*time.Second, func() bool { return r.m.Stats().ExtConnections == 0 })
	if st := r.m.Stats(); st.ActiveTargets != 0 || st.Targets[0].Clients != 0 {
		t.Errorf("after the clients left: active %d, target %+v", st.ActiveTargets, st.Targets[0])
	}
	r.noViolations()
}

// Without MinConnections and MaxConnections options, the config's
// min_connections and max_connections apply.
func TestConnectionCountsFromConfig(t *testing.T) {
	r := newRig(t, rigOpts{noStart: true, opts: func(o *Options) { o.MinConnections, o.MaxConnections = 0, 0 }})
	cfg := "min_connections 3;\nmax_connections 5;\n" + string(configFor(2, []int{2}, r.mids))
	r.core.Set("/getProxyConfig", []byte(cfg))
	r.start()
	r.waitTargets(3)
	if n := r.mids[0].Stats().Accepted; n != 3 {
		t.Errorf("fake accepted %d, want 3", n)
	}
}
