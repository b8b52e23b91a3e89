package proxy_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// Without a fronting host (no TLSDomain, no FrontingAddr) a client that
// fails authentication is read and never answered, whatever it sends,
// until it leaves: the drained event counts every byte it sent. A FakeTLS
// hello is not FakeTLS then: it fails as an unknown obfuscated2 header.
func TestDrainUnknownClients(t *testing.T) {
	more := bytes.Repeat([]byte("more"), 1000)
	cases := []struct {
		name  string
		proto proxy.Protocol
		res   proxy.HandshakeResult
		prior int
		bytes func(f *fixture) []byte
	}{
		{name: "unknown secret", proto: proxy.ProtoUnknown, res: proxy.HandshakeBadSecret,
			bytes: func(f *fixture) []byte { return newHandshake(t, f.clientOpts(client.Padded, -1, 2)).Header[:] }},
		{name: "FakeTLS hello", proto: proxy.ProtoUnknown, res: proxy.HandshakeBadSecret,
			bytes: func(f *fixture) []byte { return newHandshake(t, f.clientOpts(client.FakeTLS, 0, 2)).Hello }},
		{name: "replayed header", proto: proxy.ProtoAbridged, res: proxy.HandshakeReplay, prior: 1,
			bytes: func(f *fixture) []byte {
				o := f.clientOpts(client.Abridged, 0, 2)
				h := newHandshake(t, o)
				f.prime(h, o)
				return h.Header[:]
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			first := tc.bytes(f)
			c := f.connect()
			if _, err := c.Write(first); err != nil {
				t.Fatal(err)
			}
			// The engine has decided; the client goes on sending.
			f.rec.waitHandshakes(t, tc.prior+1)
			if _, err := c.Write(more); err != nil {
				t.Fatalf("the drained connection refused more bytes: %v", err)
			}
			_ = c.CloseWrite()
			if got := readToEnd(t, c); len(got) != 0 {
				t.Fatalf("a drained client got %d bytes", len(got))
			}
			ev := f.rec.waitClosed(t, tc.prior+1)
			in := int64(len(first) + len(more))
			hs := proxy.HandshakeEvent{Protocol: tc.proto, Result: tc.res, Secret: -1}
			fe := proxy.FrontingEvent{Reason: tc.res, Result: proxy.FrontingDrained, BytesIn: in}
			closed := proxy.CloseEvent{Protocol: tc.proto, Secret: -1, BytesIn: in, Stage: proxy.StageHandshakeRead}
			if ev.Handshakes[tc.prior] != hs || len(ev.Fronting) != 1 || ev.Fronting[0] != fe || ev.Closed[tc.prior] != closed {
				t.Fatalf("events %s; want handshake %+v, fronting [%+v], close %+v", ev, hs, fe, closed)
			}
			if st := f.dc.Stats(); st.Accepted != int64(tc.prior) {
				t.Fatalf("the fake DC got %d connections, want %d", st.Accepted, tc.prior)
			}
		})
	}
}

// A drain ends at DrainTimeout or at FrontingMaxBytes (the handshake's
// bytes included, as for a splice), as a limit, still without a byte back.
func TestDrainLimits(t *testing.T) {
	const maxBytes = 8 << 10
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, with(func(o *proxy.Options) { o.DrainTimeout = time.Second }))
		c := f.connect()
		hdr := newHandshake(t, f.clientOpts(client.Abridged, -1, 2)).Header
		if _, err := c.Write(hdr[:]); err != nil {
			t.Fatal(err)
		}
		if got := readToEnd(t, c); len(got) != 0 {
			t.Fatalf("a drained client got %d bytes", len(got))
		}
		ev := f.rec.waitClosed(t, 1)
		want := proxy.FrontingEvent{Reason: proxy.HandshakeBadSecret, Result: proxy.FrontingLimit, BytesIn: 64}
		if len(ev.Fronting) != 1 || ev.Fronting[0] != want {
			t.Fatalf("fronting %+v, want [%+v]", ev.Fronting, want)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, with(func(o *proxy.Options) { o.FrontingMaxBytes = maxBytes }))
		c := f.connect()
		hdr := newHandshake(t, f.clientOpts(client.Abridged, -1, 2)).Header
		go func() {
			_, _ = c.Write(append(hdr[:], bytes.Repeat([]byte{1}, 4*maxBytes)...)) // cut short when the engine closes
		}()
		if got := readToEnd(t, c); len(got) != 0 {
			t.Fatalf("a drained client got %d bytes", len(got))
		}
		ev := f.rec.waitClosed(t, 1)
		want := proxy.FrontingEvent{Reason: proxy.HandshakeBadSecret, Result: proxy.FrontingLimit, BytesIn: maxBytes}
		if len(ev.Fronting) != 1 || ev.Fronting[0] != want {
			t.Fatalf("fronting %+v, want [%+v]", ev.Fronting, want)
		}
	})
}
