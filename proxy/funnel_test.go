package proxy_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/testkit/badpeer"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// toPeer points the direct upstream's DC 2 at a bad peer.
func toPeer(b badpeer.Behaviour) option {
	return func(f *fixture, o *proxy.Options) {
		at := netip.MustParseAddrPort(badpeer.Start(f.t, b).Addr())
		o.Upstream = direct.New(direct.Options{Table: dc.New(map[int][]netip.AddrPort{2: {at}}), Observer: f.rec})
	}
}

func stagesOf(evs []proxy.StageEvent) []proxy.Stage {
	var out []proxy.Stage
	for _, e := range evs {
		out = append(out, e.Stage)
	}
	return out
}

func oneClosed(e events) bool { return len(e.Closed) == 1 }

// A FakeTLS client through the engine to the fake DC walks the whole
// funnel: its resPQ makes it upstream_answered, 8 KiB back established.
// The dial counts as OK once the DC answered, with its first-answer time,
// and the hello's JA4 is reported with the handshake.
func TestFunnelToEstablished(t *testing.T) {
	f := newFixture(t, withFront)
	c := f.dial(f.clientOpts(client.FakeTLS, 0, 2))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	f.rec.wait(t, "upstream_answered", func(e events) bool {
		return slices.Contains(stagesOf(e.Stages), proxy.StageUpstreamAnswered)
	})
	big := make([]byte, proxy.EstablishedBytes+1024)
	big[0] = 0xaa // not a control request: the fake DC echoes it
	if err := c.WritePacket(big, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadPacket(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	e := f.rec.wait(t, "the close", oneClosed)
	want := []proxy.Stage{proxy.StageFirstByte, proxy.StageHandshakeRead, proxy.StageAuthenticated,
		proxy.StageUpstreamConnected, proxy.StageUpstreamAnswered, proxy.StageEstablished}
	if got := stagesOf(e.Stages); !slices.Equal(got, want) {
		t.Fatalf("stages %v, want %v", got, want)
	}
	last := e.Stages[len(e.Stages)-1]
	if e.Closed[0].Stage != proxy.StageEstablished || last.Secret != 0 || last.Protocol != proxy.ProtoFakeTLS {
		t.Fatalf("close %+v, last stage %+v", e.Closed[0], last)
	}
	if len(e.Dials) != 1 || e.Dials[0].Result != dc.OK || e.Dials[0].FirstAnswer <= 0 {
		t.Fatalf("dials %+v", e.Dials)
	}
	if len(e.Handshakes) != 1 || e.Handshakes[0].JA4 == (faketls.JA4{}) {
		t.Fatalf("handshake without a JA4: %+v", e.Handshakes)
	}
}

// A DC that accepts and stays silent leaves its client stalled at
// upstream_connected, the dial counted as no_answer; one that closes at
// the first packet, as reset.
func TestFunnelSilentDC(t *testing.T) {
	for _, c := range []struct {
		b    badpeer.Behaviour
		dial dc.Result
	}{{badpeer.Silent, dc.NoAnswer}, {badpeer.CloseAfterFirst, dc.Reset}} {
		t.Run(c.b.String(), func(t *testing.T) {
			f := newFixture(t, toPeer(c.b))
			conn := f.dial(f.clientOpts(client.Padded, 0, 2))
			if err := conn.WritePacket(make([]byte, 40), false); err != nil {
				t.Fatal(err)
			}
			f.rec.wait(t, "upstream_connected", func(e events) bool {
				return slices.Contains(stagesOf(e.Stages), proxy.StageUpstreamConnected)
			})
			if c.b == badpeer.CloseAfterFirst {
				// The DC's close reaches the client as the end of its stream.
				if _, err := conn.ReadPacket(); err == nil {
					t.Fatal("a packet came from a DC that closed")
				}
			}
			conn.Close()
			e := f.rec.wait(t, "the close", oneClosed)
			if e.Closed[0].Stage != proxy.StageUpstreamConnected {
				t.Fatalf("closed at %v, stages %v", e.Closed[0].Stage, stagesOf(e.Stages))
			}
			if len(e.Dials) != 1 || e.Dials[0].Result != c.dial {
				t.Fatalf("dials %+v, want one %v", e.Dials, c.dial)
			}
		})
	}
}

// A connection that sends a partial header stalls at first_byte; one that
// sends nothing at accepted.
func TestFunnelEarlyStalls(t *testing.T) {
	f := newFixture(t)
	nc := f.connect()
	if _, err := nc.Write([]byte{0xef, 1, 2}); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	e := f.rec.wait(t, "the close", oneClosed)
	if e.Closed[0].Stage != proxy.StageFirstByte || !slices.Equal(stagesOf(e.Stages), []proxy.Stage{proxy.StageFirstByte}) {
		t.Fatalf("closed at %v, stages %v", e.Closed[0].Stage, stagesOf(e.Stages))
	}
	f.connect().Close()
	e = f.rec.wait(t, "the second close", func(e events) bool { return len(e.Closed) == 2 })
	if e.Closed[1].Stage != proxy.StageAccepted {
		t.Fatalf("closed at %v", e.Closed[1].Stage)
	}
}
