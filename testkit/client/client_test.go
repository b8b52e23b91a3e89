package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
)

var (
	secret   = [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	other    = [16]byte{1}
	allModes = []Mode{Abridged, Intermediate, Padded, FakeTLS}
)

const domain = "front.example"

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func dialT(t *testing.T, addr string, o Options) *Conn {
	t.Helper()
	c, err := Dial(ctx(t), addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestEveryModeHandshakesAndReqPQ(t *testing.T) {
	a := startAcceptor(t, domain, other, secret)
	for i, m := range allModes {
		t.Run(m.String(), func(t *testing.T) {
			c := dialT(t, a.addr(), Options{Secret: secret, Mode: m, DC: int16(-1 - i), Domain: domain})
			r, err := c.ReqPQ(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if r.PQ != mtproto.DefaultPQ {
				t.Fatalf("resPQ %+v", r)
			}
			s := a.last()
			if s.err != nil || s.accepted.SecretIndex != 1 || s.accepted.DC != int16(-1-i) ||
				s.accepted.Transport != m.Transport() {
				t.Fatalf("acceptor saw %+v", s)
			}
			if (m == FakeTLS) != (s.hello != nil) {
				t.Fatalf("hello presence wrong for %v", m)
			}
			if m == FakeTLS && (s.sni != domain || !bytes.Equal(s.hello, c.Handshake().Hello)) {
				t.Fatalf("hello: sni %q, bytes equal %v", s.sni, bytes.Equal(s.hello, c.Handshake().Hello))
			}
		})
	}
}

func TestPacketsAndQuickAcks(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	for _, m := range allModes {
		t.Run(m.String(), func(t *testing.T) {
			c := dialT(t, a.addr(), Options{Secret: secret, Mode: m, Domain: domain, DC: 2})
			for _, n := range []int{4, 504, 508, 40000, 200000} {
				pkt := make([]byte, n)
				rand.Read(pkt)
				errc := make(chan error, 1)
				go func() { errc <- c.WritePacket(pkt, true) }()
				tok, err := c.ReadPacket()
				if err != nil || !tok.QuickAck || tok.Data != nil || tok.Token != acceptorToken(pkt) {
					t.Fatalf("%d bytes: token %+v %v, want %#x", n, tok, err, acceptorToken(pkt))
				}
				back, err := c.ReadPacket()
				if err != nil || back.QuickAck || !bytes.Equal(back.Data, pkt) {
					t.Fatalf("%d bytes: echo differs (%v)", n, err)
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
			}
			if err := c.WritePacket([]byte{1, 2, 3}, false); !errors.Is(err, framing.ErrBadLength) {
				t.Fatalf("3-byte packet: %v", err)
			}
		})
	}
}

func TestRawStream(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	c := dialT(t, a.addr(), Options{Secret: secret, Mode: FakeTLS, Domain: domain})
	// The acceptor parses padded frames: one written by hand through Raw
	// must come back as a packet.
	frame := framing.AppendHeader(nil, framing.Padded, 8, false)
	frame = append(frame, "rawbytes"...)
	if _, err := c.Raw().Write(frame); err != nil {
		t.Fatal(err)
	}
	p, err := c.ReadPacket()
	if err != nil || string(p.Data) != "rawbytes" {
		t.Fatalf("%q %v", p.Data, err)
	}
	// And a packet read back as raw bytes: header then payload.
	if err := c.WritePacket([]byte("more"), false); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 8)
	if _, err := io.ReadFull(c.Raw(), raw); err != nil || string(raw[4:]) != "more" {
		t.Fatalf("%q %v", raw, err)
	}
}

func TestRecordAndReplay(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	for _, m := range []Mode{Intermediate, FakeTLS} {
		t.Run(m.String(), func(t *testing.T) {
			c := dialT(t, a.addr(), Options{Secret: secret, Mode: m, Domain: domain, Record: true})
			if _, err := c.ReqPQ(ctx(t)); err != nil {
				t.Fatal(err)
			}
			h := c.Handshake()
			w := c.Written()
			wantPrefix := append(append([]byte(nil), h.Hello...), h.HeaderRecord()...)
			if !bytes.HasPrefix(w, wantPrefix) || len(w) <= len(wantPrefix) {
				t.Fatalf("recorded %d bytes, not starting with the handshake", len(w))
			}
			if m == FakeTLS && faketls.VerifyServerFlight(secret, h.ClientRandom, h.Flight) != nil {
				t.Fatal("flight kept is not the verified one")
			}
			// Replaying everything the client wrote: the acceptor's replay
			// cache refuses it, so the probe gets at most the refusal.
			before := len(a.waitSessions(1))
			res, err := Probe(ctx(t), a.addr(), w, time.Second, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Closed || len(res.Reply) != 0 {
				t.Fatalf("replay answered %d bytes, closed %v", len(res.Reply), res.Closed)
			}
			s := a.waitSessions(before + 1)[before]
			if s.err == nil {
				t.Fatal("replay accepted")
			}
			if m == FakeTLS && !bytes.Equal(s.hello, h.Hello) {
				t.Fatal("the replayed hello is not the original")
			}
		})
	}
}

// LocalAddr picks the address a client connects from: two clients look
// like two hosts on loopback.
func TestDialFromLocalAddr(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	from := netip.MustParseAddr("127.0.0.2")
	c := dialT(t, a.addr(), Options{Secret: secret, Mode: Padded, DC: 2, LocalAddr: from})
	if got := c.NetConn().LocalAddr().(*net.TCPAddr).AddrPort().Addr(); got != from {
		t.Fatalf("connected from %v, want %v", got, from)
	}
	if _, err := c.ReqPQ(ctx(t)); err != nil {
		t.Fatal(err)
	}
}
