package proxy_test

import (
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// results lists the handshake results in order.
func results(ev events) []proxy.HandshakeResult {
	out := make([]proxy.HandshakeResult, len(ev.Handshakes))
	for i, hs := range ev.Handshakes {
		out[i] = hs.Result
	}
	return out
}

// expectResults checks the handshakes so far, once the n-th connection has
// ended, are exactly want.
func (f *fixture) expectResults(want ...proxy.HandshakeResult) {
	f.t.Helper()
	ev := f.rec.waitClosed(f.t, len(want))
	got := results(ev)
	if len(got) != len(want) {
		f.t.Fatalf("handshakes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			f.t.Fatalf("handshakes %v, want %v", got, want)
		}
	}
}

// An obfuscated2 header, which carries no time, is remembered for exactly
// twice TimeSkew on the engine's clock: a replay at the window's edge is
// refused, one a second past it is a new client.
func TestReplayWindow(t *testing.T) {
	const skew = time.Minute
	f := newFixture(t, with(func(o *proxy.Options) { o.TimeSkew = skew }))
	header := func() []byte { return newHandshake(t, f.clientOpts(client.Intermediate, 0, 2)).Header[:] }
	ok, replay := proxy.HandshakeOK, proxy.HandshakeReplay

	first := header()
	f.probe(first)
	f.clock.Advance(2 * skew) // the window's edge
	f.probe(first)
	f.expectResults(ok, replay)

	f.clock.Advance(time.Second) // past it: forgotten
	f.probe(first)
	f.expectResults(ok, replay, ok)
	f.probe(first) // and remembered again
	f.expectResults(ok, replay, ok, replay)
}

// A FakeTLS hello is refused at every instant its timestamp is valid: the
// cache keeps it until its timestamp plus TimeSkew (here twice TimeSkew,
// its client running a whole TimeSkew ahead), and from the next second
// on the timestamp check refuses it.
func TestReplayWindowCoversHelloValidity(t *testing.T) {
	const skew = time.Minute
	f := newFixture(t, withFront, with(func(o *proxy.Options) { o.TimeSkew = skew }))
	session := func() {
		c := f.dial(f.clientOpts(client.FakeTLS, 1, 2))
		if _, err := c.ReqPQ(bounded(t)); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
	}
	o := f.clientOpts(client.FakeTLS, 0, 2)
	o.Timestamp = f.clock.Now().Add(skew) // as far ahead as accepted
	h := newHandshake(t, o)
	f.prime(h, o)
	ok, replay, stale := proxy.HandshakeOK, proxy.HandshakeReplay, proxy.HandshakeStaleTimestamp

	f.clock.Advance(2 * skew) // the timestamp's last valid second
	session()
	f.probe(h.Hello)
	f.expectResults(ok, ok, replay)

	f.clock.Advance(time.Second) // the cache forgot it
	session()
	f.probe(h.Hello)
	f.expectResults(ok, ok, replay, ok, stale)

	f.clock.Advance(2*skew + time.Second) // long after
	session()
	f.probe(h.Hello)
	f.expectResults(ok, ok, replay, ok, stale, ok, stale)
}

// ReplayCacheSize bounds what is remembered: when full, the handshake
// closest to its expiry (of equal ones, the oldest) makes room, so with a
// size of 4 a handshake is forgotten after four newer ones while the
// latest are still refused.
func TestReplayCacheSize(t *testing.T) {
	f := newFixture(t, with(func(o *proxy.Options) { o.ReplayCacheSize = 4 }))
	var headers [][]byte
	for range 5 {
		h := newHandshake(t, f.clientOpts(client.Abridged, 1, 2)).Header
		headers = append(headers, h[:])
		f.probe(h[:])
	}
	f.probe(headers[0])
	f.probe(headers[3])
	ok := proxy.HandshakeOK
	f.expectResults(ok, ok, ok, ok, ok, ok, proxy.HandshakeReplay)
}
