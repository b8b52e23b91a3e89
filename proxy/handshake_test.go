package proxy_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// protocolOf is the engine's label for a test client's mode.
func protocolOf(m client.Mode) proxy.Protocol {
	switch m {
	case client.Abridged:
		return proxy.ProtoAbridged
	case client.Intermediate:
		return proxy.ProtoIntermediate
	case client.Padded:
		return proxy.ProtoPadded
	case client.FakeTLS:
		return proxy.ProtoFakeTLS
	}
	return proxy.ProtoUnknown
}

// echo sends a packet of size random bytes (not a constructor the fake DC
// knows) and checks it comes back intact.
func echo(t testing.TB, c *client.Conn, size int) {
	t.Helper()
	pkt := make([]byte, size)
	_, _ = rand.Read(pkt)
	pkt[0] = 0xff
	if err := c.WritePacket(pkt, false); err != nil {
		t.Fatalf("write %d bytes: %v", size, err)
	}
	got, err := c.ReadPacket()
	if err != nil {
		t.Fatalf("reading the echo of %d bytes: %v", size, err)
	}
	if got.QuickAck || !bytes.Equal(got.Data, pkt) {
		t.Fatalf("%d bytes came back as %d bytes, not intact", size, len(got.Data))
	}
}

// Every protocol authenticates with either secret and any DC, its bytes
// cross the engine intact both ways to the fake DC, and the observer sees
// exactly one accept, one OK handshake, one dial, one Traffic lookup and
// one close, with byte counts equal to what went over the client's wire.
// That holds as well when the client sends its header with its first
// packet (coalesced, as Telegram's clients do), which the engine reads with
// the header: whole (first 0: a req_pq), or a part of it (first: the size
// of a first packet larger than the handshake's read).
func TestHandshakeOK(t *testing.T) {
	cases := []struct {
		mode     client.Mode
		secret   int
		dc       int16
		dialed   int // the DC the fake DC is told: the table has DCs 1..5
		coalesce bool
		first    int
	}{
		{client.Abridged, 0, 2, 2, false, 0},
		{client.Intermediate, 1, 4, 4, false, 0},
		{client.Padded, 0, -3, -3, false, 0},
		{client.FakeTLS, 1, 1, 1, false, 0},
		{client.FakeTLS, 0, 0, dc.DefaultDC, false, 0},
		{client.Intermediate, 0, 99, dc.DefaultDC, false, 0},
		{client.Abridged, 1, 3, 3, true, 0},
		{client.Intermediate, 0, 2, 2, true, 0},
		{client.Padded, 1, 5, 5, true, 0},
		{client.FakeTLS, 0, 2, 2, true, 0},
		{client.Padded, 0, 1, 1, true, 2000},
		{client.FakeTLS, 1, 4, 4, true, 2000},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%v/secret%d/dc%d", tc.mode, tc.secret, tc.dc)
		if tc.coalesce {
			name += fmt.Sprintf("/coalesced%d", tc.first)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, withFront)
			o := f.clientOpts(tc.mode, tc.secret, tc.dc)
			o.Record, o.Coalesce = true, tc.coalesce
			c := f.dial(o)
			if tc.first > 0 {
				echo(t, c, tc.first)
			}
			if _, err := c.ReqPQ(bounded(t)); err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{4, 1000, 16<<10 + 4, 300 << 10} {
				echo(t, c, size)
			}
			_ = c.Close()
			ev := f.rec.waitClosed(t, 1)
			ci, err := f.dc.WaitFor(bounded(t), func(ci fakedc.ConnInfo) bool { return ci.Closed })
			if err != nil {
				t.Fatal(err)
			}

			proto := protocolOf(tc.mode)
			if ev.Accepted != 1 || len(ev.Rejected) != 0 || len(ev.Fronting) != 0 {
				t.Fatalf("events: %s", ev)
			}
			wantHS := proxy.HandshakeEvent{Protocol: proto, Result: proxy.HandshakeOK, Secret: tc.secret, DC: int(tc.dc)}
			if tc.mode == client.FakeTLS {
				wantHS.JA4 = mustJA4(t, h0(c))
			}
			if len(ev.Handshakes) != 1 || ev.Handshakes[0] != wantHS {
				t.Fatalf("handshakes %+v, want [%+v] (no time passes on the frozen clock)", ev.Handshakes, wantHS)
			}
			wantDial := direct.DialEvent{DC: tc.dialed, Addr: f.dc.Addr(), Result: dc.OK}
			if len(ev.Dials) != 1 || withoutDuration(ev.Dials[0]) != wantDial {
				t.Fatalf("dials %+v, want [%+v]", ev.Dials, wantDial)
			}
			if want := map[[2]int]int{{tc.secret, int(tc.dc)}: 1}; fmt.Sprint(ev.TrafficCalls) != fmt.Sprint(want) {
				t.Fatalf("Traffic asked for %v, want %v", ev.TrafficCalls, want)
			}

			// Bytes in: everything the client wrote after its handshake.
			h := c.Handshake()
			in := int64(len(c.Written()) - len(h.Hello) - len(h.HeaderRecord()))
			tr := f.rec.counters(tc.secret, int(tc.dc))
			closed := ev.Closed[0]
			wantClosed := proxy.CloseEvent{Protocol: proto, Secret: tc.secret, DC: int(tc.dc), Authenticated: true,
				BytesIn: in, BytesOut: closed.BytesOut, Stage: proxy.StageEstablished}
			if closed != wantClosed {
				t.Fatalf("close event %+v, want %+v", closed, wantClosed)
			}
			if tr.FromClient.Load() != uint64(closed.BytesIn) || tr.ToClient.Load() != uint64(closed.BytesOut) {
				t.Fatalf("traffic counters %d/%d, close event %d/%d", tr.FromClient.Load(), tr.ToClient.Load(), closed.BytesIn, closed.BytesOut)
			}

			// The fake DC saw this client's DC and framing, and the same
			// bytes: equal counts for obfuscated2, plus 5 bytes of record
			// header per TLS record for FakeTLS.
			if !ci.HeaderOK || int(ci.DC) != tc.dialed || ci.Transport != tc.mode.Transport() || ci.ReqPQ != 1 || ci.Err != nil {
				t.Fatalf("the fake DC saw %+v", ci)
			}
			extraIn, extraOut := closed.BytesIn-ci.BytesIn, closed.BytesOut-ci.BytesOut
			if tc.mode != client.FakeTLS && (extraIn != 0 || extraOut != 0) ||
				tc.mode == client.FakeTLS && (extraIn <= 0 || extraIn%5 != 0 || extraOut <= 0 || extraOut%5 != 0) {
				t.Fatalf("the engine counted %d/%d bytes, the DC %d/%d", closed.BytesIn, closed.BytesOut, ci.BytesIn, ci.BytesOut)
			}
			if n := len(f.front.Conns()); n != 0 {
				t.Fatalf("an authenticated client reached the fronting site (%d connections)", n)
			}
		})
	}
}

func withoutDuration(ev direct.DialEvent) direct.DialEvent {
	ev.Duration, ev.FirstAnswer = 0, 0
	return ev
}

// h0 is the ClientHello record a FakeTLS test client sent.
func h0(c *client.Conn) []byte { return c.Handshake().Hello }

// mustJA4 is the JA4 of a hello as the client sent it (one record).
func mustJA4(t testing.TB, hello []byte) faketls.JA4 {
	t.Helper()
	f, err := faketls.ComputeJA4(hello)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
