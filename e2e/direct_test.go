package e2e

import (
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// Bulk sizes: enough for many relay buffers and FakeTLS records each way.
const (
	bulkTotal = 1 << 20
	bulkChunk = 64 << 10
)

// Every client mode reaches the DC it asked for through the binary: the
// fake DC answers req_pq_multi, echoes packets, relays quick ACKs, and a
// megabyte crosses each way intact. FakeTLS is tried with a modern 1.8 KB
// hello, a maximal 16 KB one, one fragmented over several TLS records and
// one arriving in small TCP segments.
func TestDirectModes(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) { useFront(env, front) })
	chopped := startChopper(t, r.p.addr(), 97, 4096)
	cases := []struct {
		name  string
		mode  client.Mode
		dc    int16 // distinct per case, to find the case's DC connection
		addr  string
		setup func(*client.Options)
	}{
		{name: "abridged", mode: client.Abridged, dc: 1},
		{name: "intermediate", mode: client.Intermediate, dc: 3},
		{name: "padded", mode: client.Padded, dc: 4},
		{name: "faketls modern hello", mode: client.FakeTLS, dc: 5},
		{name: "faketls 16KB hello", mode: client.FakeTLS, dc: -1, setup: func(o *client.Options) { o.HelloSize = 16384 }},
		{name: "faketls 16KB hello in 3 records", mode: client.FakeTLS, dc: -3, setup: func(o *client.Options) {
			o.HelloSize, o.SplitHello = 16384, []int{1, 7000}
		}},
		{name: "faketls hello in 4 records", mode: client.FakeTLS, dc: -4, setup: func(o *client.Options) { o.SplitHello = []int{2, 300, 1000} }},
		{name: "faketls hello in small TCP segments", mode: client.FakeTLS, dc: -5, addr: chopped},
		{name: "abridged in small TCP segments", mode: client.Abridged, dc: 203, addr: chopped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := opts(t, c.mode, secret1Hex, c.dc)
			if c.setup != nil {
				c.setup(&o)
			}
			addr := c.addr
			if addr == "" {
				addr = r.p.addr()
			}
			conn := dial(t, addr, o)
			if hello := len(conn.Handshake().Hello); c.mode == client.FakeTLS {
				recs := len(o.SplitHello) + 1
				switch {
				case o.HelloSize > 0 && hello != o.HelloSize+5*recs:
					t.Fatalf("hello is %d bytes on the wire, want %d", hello, o.HelloSize+5*recs)
				case o.HelloSize == 0 && (hello < 1600 || hello > 2000):
					t.Fatalf("hello is %d bytes, not the size of a modern client's", hello)
				}
			}
			reqPQ(t, conn)
			echo(t, conn, 1000, false)
			echo(t, conn, 4096, true)
			download(t, conn, bulkTotal, bulkChunk)
			upload(t, conn, bulkTotal, bulkChunk)
			ci := waitDC(t, r.dc, "the case's connection", func(ci fakedc.ConnInfo) bool {
				return ci.HeaderOK && ci.DC == c.dc && ci.Bulk == 2
			})
			if ci.Transport != c.mode.Transport() || ci.ReqPQ != 1 {
				t.Fatalf("DC saw transport %v and %d req_pq, want %v and 1", ci.Transport, ci.ReqPQ, c.mode.Transport())
			}
		})
	}
	// Nothing was fronted: every handshake above authenticated.
	if n := len(siteConns(front)); n != 0 {
		t.Fatalf("%d connections reached the fronting site", n)
	}
}

// A ClientHello one byte over 16 KB is not a FakeTLS client: the proxy
// does not answer with its flight (the real site answers instead).
func TestHelloOverLimitRefused(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) { useFront(env, front) })
	o := opts(t, client.FakeTLS, secret1Hex, 2)
	o.HelloSize, o.SplitHello = 16385, []int{8000}
	if _, err := client.Dial(bounded(t), r.p.addr(), o); err == nil {
		t.Fatal("a 16385-byte hello was authenticated")
	}
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("faketls", "bad_tls"), 1)
	if n := r.headerConns(); n != 0 {
		t.Fatalf("the DC got %d connections", n)
	}
}

// DC 0 and DCs the table does not know go to DC 2; a media DC keeps its
// sign on the way to the DC.
func TestDirectDCRouting(t *testing.T) {
	r := startRig(t, fakedc.Options{}, nil)
	for _, c := range []struct{ asked, want int16 }{{0, 2}, {-2, -2}, {99, 2}, {-99, -2}} {
		before := uint64(len(r.dc.Conns()))
		conn := dial(t, r.p.addr(), opts(t, client.Intermediate, secret1Hex, c.asked))
		reqPQ(t, conn)
		conn.Close()
		ci := waitDC(t, r.dc, "the new connection", func(ci fakedc.ConnInfo) bool {
			return ci.ID > before && ci.HeaderOK && ci.ReqPQ == 1
		})
		if ci.DC != c.want {
			t.Fatalf("asked DC %d, the DC header said %d, want %d", c.asked, ci.DC, c.want)
		}
	}
}

// Two secrets (SECRET=s1,s2): clients of either authenticate, in every
// mode, and their traffic is counted under their own secret; a third
// secret is refused.
func TestTwoSecrets(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) {
		env["SECRET"] = secret1Hex + "," + secret2Hex
		useFront(env, front)
	})
	for i, s := range []string{secret1Hex, secret2Hex} {
		for _, m := range []client.Mode{client.Abridged, client.Padded, client.FakeTLS} {
			c := dial(t, r.p.addr(), opts(t, m, s, 2))
			reqPQ(t, c)
			echo(t, c, 64, false)
		}
		label := map[string]string{"secret": []string{"0", "1"}[i], "direction": "to_client"}
		waitMetric(t, r.p, "mtproxy_secret_traffic_bytes_total", label, 1)
	}

	// The unknown secret's FakeTLS hello is fronted: no proxy flight.
	if _, err := client.Dial(bounded(t), r.p.addr(), opts(t, client.FakeTLS, unknownHex, 2)); err == nil {
		t.Fatal("FakeTLS with an unknown secret was authenticated")
	}
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("faketls", "bad_secret"), 1)
	if n := r.headerConns(); n != 6 {
		t.Fatalf("the DC got %d connections, want the 6 authenticated ones", n)
	}
}

// The transport policy. A secret is the bare 16 bytes: links advertise it
// as dd (padded), but a client using the classic link (abridged or
// intermediate) is accepted with the same secret, as the official proxy
// does (TestDirectModes covers it). Inside FakeTLS only padded intermediate
// is allowed: a FakeTLS client whose header carries another tag is cut off
// after the flight and never reaches a DC.
func TestFakeTLSNeedsPadded(t *testing.T) {
	front := tlsfront.Start(t, frontDomain)
	r := startRig(t, fakedc.Options{}, func(env map[string]string) { useFront(env, front) })
	for _, tr := range []framing.Transport{framing.Abridged, framing.Intermediate} {
		o := opts(t, client.FakeTLS, secret1Hex, 2)
		o.Transport = tr
		c := dial(t, r.p.addr(), o) // the hello is fine: the flight comes back
		if _, err := c.ReqPQ(bounded(t)); err == nil {
			t.Fatalf("FakeTLS with transport %v reached the DC", tr)
		}
	}
	waitCount(t, r.p, "mtproxy_client_handshakes_total", handshakes("faketls", "bad_secret"), 2)
	if n := r.headerConns(); n != 0 {
		t.Fatalf("the DC got %d connections", n)
	}
	if n := len(siteConns(front)); n != 0 {
		t.Fatalf("%d connections were fronted after the proxy had answered", n)
	}
}
