package proxy_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// Options.Now is the clock of timestamps, replay windows and durations,
// not of sockets: a clock far in the past must not time every handshake
// out at once, and one far in the future must not disable
// HandshakeTimeout. (Both happened while the handshake deadline was
// computed from Options.Now.)
func TestInjectedClockLeavesSocketDeadlinesAlone(t *testing.T) {
	t.Run("clock in the past", func(t *testing.T) {
		f := newFixture(t) // the fixtures' clock stands in 2023
		c := f.dial(f.clientOpts(client.Intermediate, 0, 2))
		if _, err := c.ReqPQ(bounded(t)); err != nil {
			t.Fatalf("a client of a proxy whose clock is in the past: %v", err)
		}
		ev := f.rec.waitHandshakes(t, 1)
		if ev.Handshakes[0].Result != proxy.HandshakeOK {
			t.Fatalf("handshake %+v", ev.Handshakes[0])
		}
	})
	t.Run("clock in the future", func(t *testing.T) {
		// Timed out, the silent client is drained (there is no fronting
		// site) until it has been silent for DrainTimeout, on the real
		// clock too.
		f := newFixture(t, with(func(o *proxy.Options) {
			o.HandshakeTimeout, o.DrainTimeout = 500*time.Millisecond, time.Second
		}))
		f.clock.Advance(100 * 365 * 24 * time.Hour)
		c := f.connect()
		if got := readToEnd(t, c); len(got) != 0 {
			t.Fatalf("a silent client got %d bytes", len(got))
		}
		ev := f.rec.waitClosed(t, 1)
		want := proxy.HandshakeEvent{Protocol: proxy.ProtoUnknown, Result: proxy.HandshakeTimeout, Secret: -1}
		if len(ev.Handshakes) != 1 || ev.Handshakes[0] != want {
			t.Fatalf("handshakes %+v, want [%+v]", ev.Handshakes, want)
		}
	})
}

// A FakeTLS timestamp is accepted within TimeSkew of the engine's clock,
// both bounds included, and refused one second beyond either; a small
// number (an uptime) is accepted up to the engine's own uptime (0 here,
// on a frozen clock) plus TimeSkew.
func TestFakeTLSTimestampWindow(t *testing.T) {
	const skew = time.Minute
	f := newFixture(t, withFront, with(func(o *proxy.Options) { o.TimeSkew = skew }))
	now := f.clock.Now()
	cases := []struct {
		ts time.Time
		ok bool
	}{
		{now.Add(-skew), true},
		{now.Add(skew), true},
		{now.Add(-skew - time.Second), false},
		{now.Add(skew + time.Second), false},
		{time.Unix(int64(skew/time.Second), 0), true},
		{time.Unix(int64(skew/time.Second)+1, 0), false},
		{time.Unix(faketls.UptimeBound-1, 0), false},
		{time.Unix(faketls.UptimeBound, 0), false}, // a unix time in 1972
	}
	var want []proxy.HandshakeResult
	for _, tc := range cases {
		o := f.clientOpts(client.FakeTLS, 0, 2)
		o.Timestamp = tc.ts
		c, err := client.Dial(bounded(t), f.addr, o)
		if tc.ok {
			if err != nil {
				t.Fatalf("timestamp %v (clock %v): %v", tc.ts.Unix(), now.Unix(), err)
			}
			if _, err := c.ReqPQ(bounded(t)); err != nil {
				t.Fatal(err)
			}
			_ = c.Close()
			want = append(want, proxy.HandshakeOK)
		} else {
			if !errors.Is(err, client.ErrServerFlight) {
				t.Fatalf("timestamp %v (clock %v): got %v, want the fronting site's answer", tc.ts.Unix(), now.Unix(), err)
			}
			want = append(want, proxy.HandshakeStaleTimestamp)
		}
		f.expectResults(want...)
	}
}

// The durations the engine reports are measured on Options.Now.
func TestDurationsUseTheInjectedClock(t *testing.T) {
	f := newFixture(t)
	c := f.dial(f.clientOpts(client.Abridged, 0, 2))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	f.rec.waitHandshakes(t, 1)
	f.clock.Advance(7 * time.Second)
	_ = c.Close()
	ev := f.rec.waitClosed(t, 1)
	if ev.Handshakes[0].Duration != 0 || ev.Closed[0].Duration != 7*time.Second {
		t.Fatalf("handshake took %v, the connection %v; want 0 and 7s on the injected clock",
			ev.Handshakes[0].Duration, ev.Closed[0].Duration)
	}
}

// Options.Rand is the only randomness of the FakeTLS server flight: two
// engines with the same seed answer the same hello with the same bytes,
// one with another seed differently, and every flight proves the secret.
func TestRandMakesTheFlight(t *testing.T) {
	flight := func(seed byte, hello *client.Handshake) []byte {
		f := newFixture(t, withFront, with(func(o *proxy.Options) { o.Rand = newSeededRand(seed) }))
		c := f.connect()
		if _, err := c.Write(hello.Hello); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(eventWait))
		b, err := faketls.ReadServerFlight(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := faketls.VerifyServerFlight(secretKeys[0], hello.ClientRandom, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	o := client.Options{Secret: secretKeys[0], Mode: client.FakeTLS, DC: 2, Domain: frontDomain,
		Timestamp: clockStart, Rand: newSeededRand(99)}
	hello := newHandshake(t, o)
	a, b, other := flight(1, hello), flight(1, hello), flight(2, hello)
	if !bytes.Equal(a, b) {
		t.Fatalf("the same seed gave different flights (%d and %d bytes)", len(a), len(b))
	}
	if bytes.Equal(a, other) {
		t.Fatal("another seed gave the same flight")
	}
}
