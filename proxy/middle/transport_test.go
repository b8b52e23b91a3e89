package middle

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

var allModes = []client.Mode{client.Abridged, client.Intermediate, client.Padded, client.FakeTLS}

// wantTransportFlag is the RPC_PROXY_REQ transport bit of a client mode:
// abridged is RPC_F_COMPACT, every intermediate flavour RPC_F_MEDIUM.
func wantTransportFlag(m client.Mode) uint32 {
	if m == client.Abridged {
		return fakemiddle.FlagAbridged
	}
	return fakemiddle.FlagIntermediate
}

// natCase is a way for the proxy to learn its public address, and the
// address the fake middle proxy sees (and derives its keys with).
type natCase struct {
	name   string
	opts   func(o *Options)
	public netip.Addr
}

var natCases = []natCase{
	{"local", func(*Options) {}, netip.MustParseAddr("127.0.0.1")},
	{"external_ip", func(o *Options) { o.ExternalIP = netip.MustParseAddr("203.0.113.7") },
		netip.MustParseAddr("203.0.113.7")},
	{"nat_map_wins", func(o *Options) {
		o.ExternalIP = netip.MustParseAddr("203.0.113.7")
		o.NAT = map[netip.Addr]netip.Addr{netip.MustParseAddr("127.0.0.1"): netip.MustParseAddr("198.51.100.9")}
	}, netip.MustParseAddr("198.51.100.9")},
}

// Every transport reaches the middle proxy, and every field of every
// RPC_PROXY_REQ is what the protocol wants: flags per transport, packet
// kind and quick-ACK request, the ad tag, a conn id per client, the
// client's real address and the proxy's public one, which is also the one
// the RPC keys were derived with (the fake derives with nc.public and would
// refuse the handshake otherwise).
func TestProxyReqFields(t *testing.T) {
	tag := rpc.AdTag{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	for _, nc := range natCases {
		t.Run(nc.name, func(t *testing.T) {
			var public netip.AddrPort
			r := newRig(t, rigOpts{
				fm: func(r *rig, _ int, o *fakemiddle.Options) {
					public = netip.AddrPortFrom(nc.public, r.enginePort())
					if nc.public != netip.MustParseAddr("127.0.0.1") {
						o.ExpectClientIP = nc.public
					}
					o.ExpectProxyAddr = public
					o.ExpectTag = (*[16]byte)(&tag)
				},
				opts:   func(o *Options) { nc.opts(o); o.AdTag = &tag },
				engine: withTLS,
			})
			if st := r.m.Stats(); !st.ProxyTagSet {
				t.Error("ProxyTagSet false with an ad tag")
			}
			ids := map[uint64]client.Mode{}
			for _, mode := range allModes {
				c := r.dial(mode, 2)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if _, err := c.ReqPQ(ctx); err != nil {
					cancel()
					t.Fatalf("%v: req_pq_multi: %v", mode, err)
				}
				cancel()
				echo(t, c, 1, 64)
				quickAckEcho(t, c, 2, 128)

				me := c.NetConn().LocalAddr().(*net.TCPAddr).AddrPort()
				id := connIDOf(t, r.mids[0], c)
				if id == 0 {
					t.Fatalf("%v: conn id 0", mode)
				}
				if prev, dup := ids[id]; dup {
					t.Fatalf("%v: conn id %#x already used by %v", mode, id, prev)
				}
				ids[id] = mode
				reqs := requestsOf(r.mids[0], id)
				if len(reqs) != 3 {
					t.Fatalf("%v: %d requests, want 3", mode, len(reqs))
				}
				base := uint32(fakemiddle.FlagMagic | fakemiddle.FlagExtMode2 | fakemiddle.FlagHasAdTag | wantTransportFlag(mode))
				want := []uint32{base | fakemiddle.FlagNotEncrypted, base, base | fakemiddle.FlagQuickAck}
				for i, q := range reqs {
					if q.Flags&^fakemiddle.FlagPadded != want[i] {
						t.Errorf("%v: request %d flags %#x, want %#x", mode, i, q.Flags, want[i])
					}
					if q.Client != me {
						t.Errorf("%v: request %d client %s, want %s", mode, i, q.Client, me)
					}
					if q.Proxy != public {
						t.Errorf("%v: request %d proxy %s, want %s", mode, i, q.Proxy, public)
					}
					if string(q.Tag) != string(tag[:]) {
						t.Errorf("%v: request %d tag %x", mode, i, q.Tag)
					}
				}
				if string(reqs[1].Packet) != string(encPacket(1, 64)) {
					t.Errorf("%v: packet altered on the way", mode)
				}
			}
			r.noViolations()
			if f := r.mids[0].Stats().Failures; len(f) != 0 {
				t.Errorf("handshake failures %v", f)
			}
		})
	}
}

// quickAckEcho sends a packet asking for a quick ACK and checks the token
// (the fake confirms with QuickAckToken) arrives before the echo.
func quickAckEcho(t *testing.T, c *client.Conn, id uint32, n int) {
	t.Helper()
	p := encPacket(id, n)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if err := c.WritePacket(p, true); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadPacket()
	if err != nil || !got.QuickAck || got.Token != fakemiddle.QuickAckToken(p) {
		t.Fatalf("quick ACK: %+v, %v; want token %#x", got, err, fakemiddle.QuickAckToken(p))
	}
	got, err = c.ReadPacket()
	if err != nil || string(got.Data) != string(p) {
		t.Fatalf("echo after the quick ACK: %v", err)
	}
}

// RPC_SIMPLE_ACK reaches the client as raw 4 bytes: little-endian for the
// intermediate transports, byte-swapped for abridged. Read below the
// client's framing, so the test does not depend on its decoding.
func TestQuickAckBytesOnTheWire(t *testing.T) {
	r := newRig(t, rigOpts{})
	for _, mode := range []client.Mode{client.Abridged, client.Intermediate, client.Padded} {
		t.Run(mode.String(), func(t *testing.T) {
			c := r.dial(mode, 2)
			p := encPacket(9, 64)
			if err := c.WritePacket(p, true); err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			var raw [4]byte
			if _, err := io.ReadFull(c.Raw(), raw[:]); err != nil {
				t.Fatal(err)
			}
			token := fakemiddle.QuickAckToken(p)
			var want [4]byte
			if mode == client.Abridged {
				binary.BigEndian.PutUint32(want[:], token)
			} else {
				binary.LittleEndian.PutUint32(want[:], token)
			}
			if raw != want {
				t.Fatalf("token bytes %x, want %x", raw, want)
			}
		})
	}
	if st := r.waitStats("3 acks", func(st Stats) bool { return st.SimpleAcks.Forwarded >= 3 }); st.SimpleAcks.Forwarded != 3 || st.SimpleAcks.Dropped != 0 {
		t.Errorf("simple acks %+v, want 3 forwarded", st.SimpleAcks)
	}
}

// Over IPv6 end to end: the RPC keys are derived with the IPv6 layout
// (both IPv4 fields zero, the two IPv6 addresses before the client nonce),
// and RPC_PROXY_REQ carries the IPv6 client and proxy addresses.
func TestIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_ = ln.Close()
	var public netip.AddrPort
	r := newRig(t, rigOpts{
		listen: "[::1]:0",
		fm: func(r *rig, _ int, o *fakemiddle.Options) {
			o.Addr = "[::1]:0"
			public = netip.AddrPortFrom(netip.IPv6Loopback(), r.enginePort())
			o.ExpectProxyAddr = public
		},
	})
	c := r.dial(client.Intermediate, 2)
	echo(t, c, 1, 64)
	q := r.mids[0].Requests()
	me := c.NetConn().LocalAddr().(*net.TCPAddr).AddrPort()
	if len(q) != 1 || q[0].Client != me || q[0].Proxy != public || !q[0].Client.Addr().Is6() {
		t.Fatalf("requests %+v, want client %s proxy %s", q, me, public)
	}
	r.noViolations()

	// A wrong public IPv6 address breaks the keys, as with IPv4.
	r2 := newRig(t, rigOpts{
		fm: func(_ *rig, _ int, o *fakemiddle.Options) {
			o.Addr = "[::1]:0"
			o.ExpectClientIP = netip.MustParseAddr("2001:db8::7")
		},
		opts:    func(o *Options) { o.ReadyWait = -1 },
		noStart: true,
	})
	r2.ro.noWait = true
	r2.start()
	eventually(t, "a key mismatch", 10*time.Second, func() bool { return r2.obs.handshakeResults()[HandshakeClosedAfterNonce] > 0 })
	r2.m.Close()
	r3 := newRig(t, rigOpts{
		fm: func(_ *rig, _ int, o *fakemiddle.Options) {
			o.Addr = "[::1]:0"
			o.ExpectClientIP = netip.MustParseAddr("2001:db8::7")
		},
		opts: func(o *Options) {
			o.NAT = map[netip.Addr]netip.Addr{netip.IPv6Loopback(): netip.MustParseAddr("2001:db8::7")}
		},
	})
	echo(t, r3.dial(client.Abridged, 2), 2, 64)
	r3.noViolations()
}

// A client that sends its header and its first packet in one write (as
// Telegram's clients do) has that packet read with the header by the
// engine's handshake; the packet still reaches the middle proxy and is
// answered, and so is the next, in every mode.
func TestCoalescedFirstPacket(t *testing.T) {
	r := newRig(t, rigOpts{engine: withTLS})
	for _, mode := range allModes {
		c := r.dialWith(client.Options{Mode: mode, DC: 2, Coalesce: true})
		for i := range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := c.ReqPQ(ctx)
			cancel()
			if err != nil {
				t.Fatalf("%v: req_pq_multi %d: %v", mode, i, err)
			}
		}
	}
}
