package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// With Options.Users, a client of any protocol is admitted as the user of
// its key, from its address; its lease counts exactly the wire bytes the
// engine reports, the upstream gets the user's ad tag, and the lease is
// released once when the connection ends. The secret index is -1 in the
// events: users are counted by their own registry.
func TestUsersAdmitAndAccount(t *testing.T) {
	for _, mode := range []client.Mode{client.Abridged, client.Padded, client.FakeTLS} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			tag := [16]byte{0xad, 0x7a, 0x90}
			u := newTestUsers(secretKeys...)
			u.lease = func(l *testLease) { l.tag = &tag }
			var sessions chan *proxy.Session
			f := newFixture(t, withFront, withUsers(u), func(f *fixture, o *proxy.Options) {
				o.Upstream, sessions = recordSessions(o.Upstream)
			})
			c := f.dial(f.clientOpts(mode, 1, 2))
			if _, err := c.ReqPQ(bounded(t)); err != nil {
				t.Fatal(err)
			}
			echo(t, c, 20000)
			if s := <-sessions; s.AdTag == nil || *s.AdTag != tag {
				t.Fatalf("the upstream got ad tag %v, want the user's %x", s.AdTag, tag)
			}
			_ = c.Close()
			ev := f.rec.waitClosed(t, 1)
			l := u.waitLeases(f, 1)[0]
			l.waitReleased(f)

			keys, admits := u.admissions()
			if keys != 1 || len(admits) != 1 || admits[0] != (admission{1, loopback}) {
				t.Fatalf("%d Keys calls, admissions %+v; want one of key 1 from %v", keys, admits, loopback)
			}
			want := proxy.HandshakeEvent{Protocol: protocolOf(mode), Result: proxy.HandshakeOK, Secret: -1, DC: 2}
			if mode == client.FakeTLS {
				want.JA4 = mustJA4(t, h0(c))
			}
			if len(ev.Handshakes) != 1 || ev.Handshakes[0] != want {
				t.Fatalf("handshakes %+v, want [%+v]", ev.Handshakes, want)
			}
			closed := ev.Closed[0]
			if !closed.Authenticated || closed.Secret != -1 || closed.BytesIn == 0 || closed.BytesOut == 0 {
				t.Fatalf("close event %+v", closed)
			}
			if l.in.Load() != closed.BytesIn || l.out.Load() != closed.BytesOut {
				t.Fatalf("the lease counted %d/%d bytes, the engine %d/%d", l.in.Load(), l.out.Load(), closed.BytesIn, closed.BytesOut)
			}
			if n := l.releases.Load(); n != 1 {
				t.Fatalf("the lease was released %d times", n)
			}
		})
	}
}

// recordSessions wraps an upstream to hand each Session to the test.
func recordSessions(up proxy.Upstream) (proxy.Upstream, chan *proxy.Session) {
	ch := make(chan *proxy.Session, 16)
	return sessionRecorder{up, ch}, ch
}

type sessionRecorder struct {
	proxy.Upstream
	ch chan *proxy.Session
}

func (r sessionRecorder) Serve(ctx context.Context, s *proxy.Session) error {
	r.ch <- s
	return r.Upstream.Serve(ctx, s)
}

// The key Keys names is tried first: with the same key twice, the hinted
// copy is the one admitted; without a hint, or with one out of range, the
// first in the snapshot's order is. A wrong hint still finds the key.
func TestUsersHintedKeyFirst(t *testing.T) {
	for _, mode := range []client.Mode{client.Intermediate, client.FakeTLS} {
		for _, tc := range []struct {
			hint, want int
		}{{-1, 0}, {1, 1}, {2, 0}, {7, 0}} {
			t.Run(fmt.Sprintf("%v/hint%d", mode, tc.hint), func(t *testing.T) {
				t.Parallel()
				u := newTestUsers(secretKeys[0], secretKeys[0], secretKeys[1])
				u.hint = tc.hint
				f := newFixture(t, withFront, withUsers(u))
				c := f.dial(f.clientOpts(mode, 0, 2))
				if _, err := c.ReqPQ(bounded(t)); err != nil {
					t.Fatal(err)
				}
				if _, admits := u.admissions(); len(admits) != 1 || admits[0].index != tc.want {
					t.Fatalf("admitted %+v, want key %d", admits, tc.want)
				}
			})
		}
	}
}

// A refused user is a failed handshake, fronted like a bad secret (the
// cases of TestHandshakeFailures), and takes no lease; the next user is
// not affected.
func TestUsersRefusedTakesNoLease(t *testing.T) {
	u := newTestUsers(secretKeys...)
	u.refuse = true
	f := newFixture(t, withUsers(u))
	// No fronting host: the refused client is drained until it leaves.
	c := f.dial(f.clientOpts(client.Padded, 1, 2))
	f.rec.waitHandshakes(t, 1)
	_ = c.Close()
	ev := f.rec.waitClosed(t, 1)
	if ev.Handshakes[0].Result != proxy.HandshakeUserRefused || ev.Closed[0].Authenticated || len(ev.Dials) != 0 {
		t.Fatalf("events: %s", ev)
	}
	if _, admits := u.admissions(); len(admits) != 1 || admits[0] != (admission{1, loopback}) {
		t.Fatalf("admissions %+v", admits)
	}
	if n := u.leaseCount(); n != 0 {
		t.Fatalf("a refused user holds %d leases", n)
	}
}

// A quota that runs out ends the connection: at the first request from
// the client, or at the first answer to it (which is still delivered to
// the DC first). The lease is released.
func TestUsersQuotaEndsTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		quota func(in, out int64) bool
	}{
		{"at the first request", func(int64, int64) bool { return false }},
		{"at the first answer", func(_, out int64) bool { return out == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := newTestUsers(secretKeys...)
			u.lease = func(l *testLease) { l.quota = tc.quota }
			f := newFixture(t, withUsers(u))
			c := f.dial(f.clientOpts(client.Abridged, 0, 2))
			_, _ = c.ReqPQ(bounded(t)) // answered or not: the quota decides
			ev := f.rec.waitClosed(t, 1)
			u.waitLeases(f, 1)[0].waitReleased(f)
			if !ev.Closed[0].Authenticated {
				t.Fatalf("events: %s", ev)
			}
			if _, err := c.ReqPQ(bounded(t)); err == nil {
				t.Fatal("the connection goes on past the quota")
			}
			if tc.name == "at the first answer" {
				if _, err := f.dc.WaitFor(bounded(t), func(ci fakedc.ConnInfo) bool { return ci.ReqPQ == 1 }); err != nil {
					t.Fatalf("the request within the quota did not reach the DC: %v", err)
				}
			}
		})
	}
}

// A rate limit's pause holds no relay buffer, and a revoked user's
// connection is closed even in the middle of a long pause: the lease asks
// for an hour after every transfer, the first request is answered, then
// nothing is read until the revocation closes the connection.
func TestUsersPauseHoldsNoBufferAndRevokeEndsIt(t *testing.T) {
	u := newTestUsers(secretKeys...)
	u.lease = func(l *testLease) { l.waitIn.Store(int64(time.Hour)); l.waitOut.Store(int64(time.Hour)) }
	f := newFixture(t, withUsers(u))
	c := f.dial(f.clientOpts(client.Intermediate, 0, 2))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	l := u.waitLeases(f, 1)[0]
	deadline := time.Now().Add(eventWait)
	for f.px.BufferStats().InUse != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("a paused relay holds %d buffers", f.px.BufferStats().InUse)
		}
		time.Sleep(time.Millisecond)
	}
	in := l.in.Load()
	if err := c.WritePacket(make([]byte, 64), false); err != nil {
		t.Fatal(err)
	}
	// The packet is not read while the pause lasts. (A broken pause may
	// also go unseen on a slow machine; a working one never fails this.)
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if l.in.Load() != in {
			t.Fatal("a paused client was read")
		}
	}
	l.revoke()
	ev := f.rec.waitClosed(t, 1)
	l.waitReleased(f)
	if got := l.in.Load(); got != in || ev.Closed[0].BytesIn != in {
		t.Fatalf("a paused client was read: %d bytes accounted, %d before the pause", got, in)
	}
	closedByEngine(t, c)
}

// A short pause is waited out, in either direction: the second exchange
// completes, and not before the pause the first one asked for has passed.
func TestUsersPauseIsWaitedOut(t *testing.T) {
	const pause = 200 * time.Millisecond
	for _, tc := range []struct {
		name string
		set  func(*testLease)
	}{
		{"reading from the client", func(l *testLease) { l.waitIn.Store(int64(pause)) }},
		{"writing to the client", func(l *testLease) { l.waitOut.Store(int64(pause)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := newTestUsers(secretKeys...)
			u.lease = tc.set
			f := newFixture(t, withFront, withUsers(u))
			c := f.dial(f.clientOpts(client.FakeTLS, 0, 2))
			start := time.Now()
			for range 2 {
				if _, err := c.ReqPQ(bounded(t)); err != nil {
					t.Fatal(err)
				}
			}
			if took := time.Since(start); took < pause {
				t.Fatalf("two exchanges took %v, less than the %v pause between them", took, pause)
			}
		})
	}
}

// A revoked user's connection is closed at once when it is idle too.
func TestUsersRevokeClosesAnIdleConnection(t *testing.T) {
	u := newTestUsers(secretKeys...)
	f := newFixture(t, withUsers(u))
	c := f.dial(f.clientOpts(client.Padded, 1, 2))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	l := u.waitLeases(f, 1)[0]
	l.revoke()
	f.rec.waitClosed(t, 1)
	l.waitReleased(f)
	closedByEngine(t, c)
}

// closedByEngine checks the engine closed c: a read ends at once with an
// error rather than waiting for data.
func closedByEngine(t *testing.T, c *client.Conn) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(eventWait))
	if _, err := c.ReadPacket(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the revoked connection is still open (%v)", err)
	}
}

// A carried stream (the WEB proxy) is served as its secret's user: admitted
// from the real client's address, with a lease; a secret no user has is
// refused with ErrCarriedSecret, and a refused user is closed, not fronted.
func TestUsersCarried(t *testing.T) {
	u := newTestUsers(secretKeys...)
	f := newFixture(t, withFront, withUsers(u))
	remote := netip.MustParseAddrPort("198.51.100.9:40000")
	nc, done := serveCarried(f, proxy.Carried{Remote: remote, Key: secretKeys[1]})
	c, err := client.Over(bounded(t), nc, client.Options{Secret: secretKeys[1], Mode: client.Padded, DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if err := <-done; err != nil {
		t.Fatalf("ServeCarried: %v", err)
	}
	u.waitLeases(f, 1)[0].waitReleased(f)
	if _, admits := u.admissions(); len(admits) != 1 || admits[0] != (admission{1, remote.Addr()}) {
		t.Fatalf("admissions %+v, want key 1 from %v", admits, remote.Addr())
	}
	if _, done := serveCarried(f, proxy.Carried{Key: unknownKey}); !errors.Is(<-done, proxy.ErrCarriedSecret) {
		t.Fatal("a secret no user has was not refused")
	}

	u.mu.Lock()
	u.refuse = true
	u.mu.Unlock()
	nc, done = serveCarried(f, proxy.Carried{Remote: remote, Key: secretKeys[0]})
	go func() {
		if c, err := client.Over(bounded(t), nc, client.Options{Secret: secretKeys[0], Mode: client.Padded, DC: 2}); err == nil {
			_, _ = c.ReqPQ(bounded(t))
			_ = c.Close()
		}
	}()
	if err := <-done; err != nil {
		t.Fatalf("ServeCarried: %v", err)
	}
	_ = nc.Close()
	ev := f.rec.wait(t, "two handshakes", func(e events) bool { return len(e.Handshakes) == 2 && len(e.Closed) == 2 })
	if h := ev.Handshakes[1]; h.Result != proxy.HandshakeUserRefused || len(ev.Fronting) != 0 {
		t.Fatalf("handshake %+v, fronting %+v: want a refused user, closed", h, ev.Fronting)
	}
}
