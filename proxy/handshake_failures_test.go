package proxy_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// newHandshake builds a client handshake without a network.
func newHandshake(t testing.TB, o client.Options) *client.Handshake {
	t.Helper()
	h, err := client.NewHandshake(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// afterFlight sends hello on a new connection, reads the engine's server
// flight and checks it proves key, then sends next (closing the sending
// side when closeWrite is set) and returns what comes back until the
// engine closes.
func (f *fixture) afterFlight(hello []byte, key [16]byte, random [32]byte, next []byte, closeWrite bool) (sent, reply []byte) {
	f.t.Helper()
	c := f.connect()
	if _, err := c.Write(hello); err != nil {
		f.t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(eventWait))
	flight, err := faketls.ReadServerFlight(c)
	if err != nil {
		f.t.Fatalf("no server flight: %v", err)
	}
	if err := faketls.VerifyServerFlight(key, random, flight); err != nil {
		f.t.Fatalf("the flight does not prove the secret: %v", err)
	}
	if _, err := c.Write(next); err != nil {
		f.t.Fatal(err)
	}
	if closeWrite {
		_ = c.CloseWrite()
	}
	return nil, readToEnd(f.t, c)
}

// prime authenticates a genuine client with h and closes it once its
// session worked, so that h's bytes can be replayed.
func (f *fixture) prime(h *client.Handshake, o client.Options) {
	f.t.Helper()
	c, err := client.DialHandshake(bounded(f.t), f.addr, h, o)
	if err != nil {
		f.t.Fatalf("first use: %v", err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	if _, err := c.ReqPQ(bounded(f.t)); err != nil {
		f.t.Fatalf("first use: %v", err)
	}
	_ = c.Close()
	f.rec.waitClosed(f.t, len(f.rec.snapshot().Handshakes))
}

// failStages are the cases that end before the whole ClientHello or
// 64-byte header was read: the funnel's furthest stage of every other
// failing connection is handshake_read.
var failStages = map[string]proxy.Stage{
	"silent client":                                    proxy.StageAccepted,
	"closed at once":                                   proxy.StageAccepted,
	"TLS only, obfuscated2 header":                     proxy.StageFirstByte,
	"TLS only, plain HTTP":                             proxy.StageFirstByte,
	"half an obfuscated2 header":                       proxy.StageFirstByte,
	"closed after half a header":                       proxy.StageFirstByte,
	"half a hello":                                     proxy.StageFirstByte,
	"closed after half a hello":                        proxy.StageFirstByte,
	"faketls, hello over 16 KiB":                       proxy.StageFirstByte,
	"faketls, handshake record that is no ClientHello": proxy.StageFirstByte,
	"HTTP request":                                     proxy.StageFirstByte,
}

func failStage(name string) proxy.Stage {
	if s, ok := failStages[name]; ok {
		return s
	}
	return proxy.StageHandshakeRead
}

// failCase is one way a handshake fails.
type failCase struct {
	name  string
	proto proxy.Protocol
	res   proxy.HandshakeResult
	opts  []option // besides withFront
	// prior is the number of connections run makes before the failing one.
	prior int
	// answered: the engine had sent its server flight, so the client is
	// closed instead of fronted.
	answered bool
	// unfronted: a failure the engine closes although it could front it:
	// a client gone without a byte.
	unfronted bool
	// partial: the prober sent part of a hello only, so a TLS site has
	// nothing to answer.
	partial bool
	// run makes the failing connection and returns the bytes it sent and
	// what it got back (for answered cases: nothing sent that matters, and
	// what came after the flight).
	run func(f *fixture) (sent, reply []byte)
}

// probeWith sends the handshake bytes of o's mode: the hello for FakeTLS,
// the obfuscated2 header otherwise.
func probeWith(o func(f *fixture) client.Options) func(f *fixture) (sent, reply []byte) {
	return func(f *fixture) (sent, reply []byte) {
		h := newHandshake(f.t, o(f))
		if h.Mode == client.FakeTLS {
			return h.Hello, f.probe(h.Hello)
		}
		return h.Header[:], f.probe(h.Header[:])
	}
}

// sendProbe is f.probe returning the payload too.
func sendProbe(f *fixture, payload []byte) (sent, reply []byte) { return payload, f.probe(payload) }

// helloWith returns FakeTLS options of secret 0 edited by edit.
func helloWith(edit func(f *fixture, o *client.Options)) func(f *fixture) client.Options {
	return func(f *fixture) client.Options {
		o := f.clientOpts(client.FakeTLS, 0, 2)
		edit(f, &o)
		return o
	}
}

// replayOf primes a session of mode, then replays its handshake bytes.
func replayOf(mode client.Mode) func(f *fixture) (sent, reply []byte) {
	return func(f *fixture) (sent, reply []byte) {
		o := f.clientOpts(mode, 0, 2)
		h := newHandshake(f.t, o)
		f.prime(h, o)
		if mode == client.FakeTLS {
			return h.Hello, f.probe(h.Hello)
		}
		return h.Header[:], f.probe(h.Header[:])
	}
}

// giveUpAfterTimeout sends part on a new connection, waits until the
// engine reports the handshake timed out, then half-closes and returns
// everything that comes back until the engine closes.
func (f *fixture) giveUpAfterTimeout(part []byte) []byte {
	f.t.Helper()
	c := f.connect()
	if _, err := c.Write(part); err != nil {
		f.t.Fatal(err)
	}
	f.rec.wait(f.t, "the handshake timing out", func(e events) bool {
		return len(e.Handshakes) > 0 && e.Handshakes[len(e.Handshakes)-1].Result == proxy.HandshakeTimeout
	})
	if err := c.CloseWrite(); err != nil {
		f.t.Fatal(err)
	}
	return readToEnd(f.t, c)
}

// shortTimeout makes the cases that wait for a handshake timeout quick;
// it stays long enough that a loaded machine delivers the bytes sent at
// once before it.
var shortTimeout = with(func(o *proxy.Options) { o.HandshakeTimeout = time.Second })

func failCases() []failCase {
	unknownMode := func(m client.Mode) func(f *fixture) client.Options {
		return func(f *fixture) client.Options { return f.clientOpts(m, -1, 2) }
	}
	helloOf := func(f *fixture) *client.Handshake { return newHandshake(f.t, f.clientOpts(client.FakeTLS, 0, 2)) }
	return []failCase{
		{name: "abridged, unknown secret", proto: proxy.ProtoUnknown, res: proxy.HandshakeBadSecret, run: probeWith(unknownMode(client.Abridged))},
		{name: "intermediate, unknown secret", proto: proxy.ProtoUnknown, res: proxy.HandshakeBadSecret, run: probeWith(unknownMode(client.Intermediate))},
		{name: "padded, unknown secret", proto: proxy.ProtoUnknown, res: proxy.HandshakeBadSecret, run: probeWith(unknownMode(client.Padded))},
		{name: "faketls, unknown secret", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadSecret, run: probeWith(unknownMode(client.FakeTLS))},
		{name: "faketls, header of another secret", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadSecret, answered: true,
			run: func(f *fixture) (sent, reply []byte) {
				h := helloOf(f)
				other := newHandshake(f.t, f.clientOpts(client.FakeTLS, 1, 2))
				return f.afterFlight(h.Hello, secretKeys[0], h.ClientRandom, other.HeaderRecord(), true)
			}},
		{name: "faketls, header not padded", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadSecret, answered: true,
			run: func(f *fixture) (sent, reply []byte) {
				o := f.clientOpts(client.FakeTLS, 0, 2)
				o.Transport = framing.Abridged
				h := newHandshake(f.t, o)
				return f.afterFlight(h.Hello, secretKeys[0], h.ClientRandom, h.HeaderRecord(), true)
			}},

		{name: "faketls, another SNI", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadSNI,
			run: probeWith(helloWith(func(_ *fixture, o *client.Options) { o.Domain = "other.example" }))},
		{name: "faketls, no SNI", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadSNI,
			run: probeWith(helloWith(func(_ *fixture, o *client.Options) { o.Domain = "" }))},

		{name: "abridged, replayed", proto: proxy.ProtoAbridged, res: proxy.HandshakeReplay, prior: 1, run: replayOf(client.Abridged)},
		{name: "intermediate, replayed", proto: proxy.ProtoIntermediate, res: proxy.HandshakeReplay, prior: 1, run: replayOf(client.Intermediate)},
		{name: "padded, replayed", proto: proxy.ProtoPadded, res: proxy.HandshakeReplay, prior: 1, run: replayOf(client.Padded)},
		{name: "faketls, replayed", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeReplay, prior: 1, run: replayOf(client.FakeTLS)},

		{name: "faketls, timestamp too old", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeStaleTimestamp,
			run: probeWith(helloWith(func(f *fixture, o *client.Options) { o.Timestamp = f.clock.Now().Add(-10 * time.Minute) }))},
		{name: "faketls, timestamp from the future", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeStaleTimestamp,
			run: probeWith(helloWith(func(f *fixture, o *client.Options) { o.Timestamp = f.clock.Now().Add(10 * time.Minute) }))},
		{name: "faketls, uptime refused", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeStaleTimestamp,
			opts: []option{with(func(o *proxy.Options) { o.DisableUptimeTimestamps = true })},
			run:  probeWith(helloWith(func(_ *fixture, o *client.Options) { o.Timestamp = time.Unix(3600, 0) }))},

		{name: "TLS only, obfuscated2 header", proto: proxy.ProtoUnknown, res: proxy.HandshakeNotTLS,
			opts: []option{with(func(o *proxy.Options) { o.TLSOnly = true })},
			run:  probeWith(func(f *fixture) client.Options { return f.clientOpts(client.Abridged, 0, 2) })},
		{name: "TLS only, plain HTTP", proto: proxy.ProtoUnknown, res: proxy.HandshakeNotTLS,
			opts: []option{with(func(o *proxy.Options) { o.TLSOnly = true })},
			run: func(f *fixture) (sent, reply []byte) {
				return sendProbe(f, []byte("GET / HTTP/1.1\r\nHost: "+frontDomain+"\r\n\r\n"))
			}},

		{name: "faketls, hello over 16 KiB", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadTLS,
			run: probeWith(helloWith(func(_ *fixture, o *client.Options) { o.HelloSize, o.SplitHello = faketls.MaxHelloSize+1, []int{8000} }))},
		{name: "faketls, handshake record that is no ClientHello", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadTLS,
			run: func(f *fixture) (sent, reply []byte) { return sendProbe(f, []byte{0x16, 3, 1, 0, 4, 2, 0, 0, 0}) }},
		{name: "faketls, ClientHello body malformed", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadTLS,
			run: func(f *fixture) (sent, reply []byte) {
				return sendProbe(f, []byte{0x16, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0})
			}},
		{name: "faketls, alert after the flight", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeBadTLS, answered: true,
			run: func(f *fixture) (sent, reply []byte) {
				h := helloOf(f)
				return f.afterFlight(h.Hello, secretKeys[0], h.ClientRandom, []byte{faketls.TypeAlert, 3, 3, 0, 2, 2, 40}, true)
			}},

		{name: "abridged, user refused", proto: proxy.ProtoAbridged, res: proxy.HandshakeUserRefused, opts: []option{refusingUsers},
			run: probeWith(func(f *fixture) client.Options { return f.clientOpts(client.Abridged, 0, 2) })},
		{name: "faketls, user refused", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeUserRefused, opts: []option{refusingUsers},
			run: probeWith(helloWith(func(*fixture, *client.Options) {}))},

		// Left unfinished at the timeout, a handshake is fronted with what
		// it sent; the prober then gives up (a half-close) and the splice
		// ends.
		{name: "silent client", proto: proxy.ProtoUnknown, res: proxy.HandshakeTimeout, opts: []option{shortTimeout},
			run: func(f *fixture) (sent, reply []byte) { return nil, f.giveUpAfterTimeout(nil) }},
		{name: "half an obfuscated2 header", proto: proxy.ProtoUnknown, res: proxy.HandshakeTimeout, opts: []option{shortTimeout},
			run: func(f *fixture) (sent, reply []byte) {
				h := newHandshake(f.t, f.clientOpts(client.Abridged, 0, 2))
				h.Header[0] = 0x42 // not a TLS record type, nor a byte no client starts with
				return h.Header[:32], f.giveUpAfterTimeout(h.Header[:32])
			}},
		{name: "half a hello", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeTimeout, partial: true, opts: []option{shortTimeout},
			run: func(f *fixture) (sent, reply []byte) {
				part := helloOf(f).Hello[:100]
				return part, f.giveUpAfterTimeout(part)
			}},
		{name: "faketls, silent after the flight", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeTimeout, answered: true, opts: []option{shortTimeout},
			run: func(f *fixture) (sent, reply []byte) {
				h := helloOf(f)
				return f.afterFlight(h.Hello, secretKeys[0], h.ClientRandom, nil, false)
			}},

		// A client gone without a byte has nothing to front; one that sent
		// bytes and half-closed may still read the site's answer.
		{name: "closed at once", proto: proxy.ProtoUnknown, res: proxy.HandshakeClosed, unfronted: true,
			run: func(f *fixture) (sent, reply []byte) { return sendProbe(f, nil) }},
		{name: "closed after half a header", proto: proxy.ProtoUnknown, res: proxy.HandshakeClosed,
			run: func(f *fixture) (sent, reply []byte) {
				h := newHandshake(f.t, f.clientOpts(client.Padded, 0, 2))
				h.Header[0] = 0x42
				return sendProbe(f, h.Header[:32])
			}},
		{name: "closed after half a hello", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeClosed, partial: true,
			run: func(f *fixture) (sent, reply []byte) { return sendProbe(f, helloOf(f).Hello[:100]) }},
		{name: "HTTP request", proto: proxy.ProtoUnknown, res: proxy.HandshakeBadSecret,
			run: func(f *fixture) (sent, reply []byte) {
				return sendProbe(f, []byte("GET / HTTP/1.1\r\nHost: "+frontDomain+"\r\n\r\n"))
			}},
		{name: "faketls, closed after the flight", proto: proxy.ProtoFakeTLS, res: proxy.HandshakeClosed, answered: true,
			run: func(f *fixture) (sent, reply []byte) {
				h := helloOf(f)
				return f.afterFlight(h.Hello, secretKeys[0], h.ClientRandom, faketls.AppendChangeCipherSpec(nil), true)
			}},
	}
}

// Every way a handshake can fail, in every protocol where it can, with a
// fronting site configured: the observer sees exactly one handshake event
// with the result and protocol, and then either one fronting event (a
// frontable failure before the engine answered: the prober gets the site's
// bytes, exactly the ones counted) or none (the client is closed without a
// byte). No failed client reaches the DC.
func TestHandshakeFailures(t *testing.T) {
	cases := failCases()
	covered := map[proxy.HandshakeResult]bool{proxy.HandshakeOK: true} // TestHandshakeOK
	for _, tc := range cases {
		covered[tc.res] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, append([]option{withFront}, tc.opts...)...)
			sent, reply := tc.run(f)
			ev := f.rec.waitClosed(t, tc.prior+1)
			if ev.Accepted != tc.prior+1 || len(ev.Rejected) != 0 || len(ev.Handshakes) != tc.prior+1 {
				t.Fatalf("events: %s", ev)
			}
			want := proxy.HandshakeEvent{Protocol: tc.proto, Result: tc.res, Secret: -1}
			got := ev.Handshakes[tc.prior]
			hello := tc.proto == proxy.ProtoFakeTLS && failStage(tc.name) == proxy.StageHandshakeRead &&
				tc.name != "faketls, ClientHello body malformed"
			if hello != (got.JA4 != faketls.JA4{}) {
				t.Fatalf("JA4 %q, want one only when a whole, well-formed FakeTLS hello was read", got.JA4)
			}
			got.JA4 = faketls.JA4{}
			if got != want {
				t.Fatalf("handshake %+v, want %+v", got, want)
			}
			closed := ev.Closed[tc.prior]
			wantClosed := proxy.CloseEvent{Protocol: tc.proto, Secret: -1, Stage: failStage(tc.name)}
			fronted := tc.res.Frontable() && !tc.answered && !tc.unfronted
			if fronted {
				if len(ev.Fronting) != 1 {
					t.Fatalf("fronting events %+v, want one", ev.Fronting)
				}
				fe := ev.Fronting[0]
				if fe.Reason != tc.res || fe.Result != proxy.FrontingDone || fe.Duration != 0 || fe.BytesOut != int64(len(reply)) {
					t.Fatalf("fronting %+v; the prober got %d bytes", fe, len(reply))
				}
				wantClosed.BytesIn, wantClosed.BytesOut = fe.BytesIn, fe.BytesOut
				conns, err := f.front.WaitConns(bounded(t), 1)
				if err != nil || len(conns) != 1 {
					t.Fatalf("the site saw %d connections (%v), want 1", len(conns), err)
				}
				seen := conns[0].FirstBytes
				if tc.proto == proxy.ProtoFakeTLS {
					// A TLS site reads a whole hello before it answers:
					// it read exactly what the prober sent, and answered.
					if !bytes.Equal(seen, sent) || fe.BytesIn != int64(len(sent)) || len(reply) == 0 && !tc.partial {
						t.Fatalf("the site read %d bytes, the engine relayed %d, the prober sent %d and got %d back",
							len(seen), fe.BytesIn, len(sent), len(reply))
					}
				} else if len(seen) < min(5, len(sent)) || !bytes.HasPrefix(sent, seen) || fe.BytesIn < int64(len(seen)) || fe.BytesIn > int64(len(sent)) {
					// A TLS site may stop at the first record header that
					// is not TLS; the engine replayed at least that.
					t.Fatalf("the site read %d bytes (a prefix of the %d sent?), the engine relayed %d", len(seen), len(sent), fe.BytesIn)
				}
			} else {
				if len(ev.Fronting) != 0 || len(f.front.Conns()) != 0 {
					t.Fatalf("not frontable, yet fronted: %+v", ev.Fronting)
				}
				if len(reply) != 0 {
					t.Fatalf("the engine answered a failed handshake with %d bytes", len(reply))
				}
			}
			if closed != wantClosed {
				t.Fatalf("close event %+v, want %+v", closed, wantClosed)
			}
			if n := len(ev.Dials); n != tc.prior {
				t.Fatalf("%d upstream dials, want %d (the primed sessions')", n, tc.prior)
			}
		})
	}
	for r := range proxy.HandshakeResult(proxy.NumHandshakeResults) {
		if !covered[r] {
			t.Errorf("no case fails with %v", r)
		}
	}
}
