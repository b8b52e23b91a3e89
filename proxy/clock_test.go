package proxy_test

import (
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
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
		f := newFixture(t, with(func(o *proxy.Options) { o.HandshakeTimeout = 500 * time.Millisecond }))
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
