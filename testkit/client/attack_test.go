package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

func TestWrongHellosReachTheServerAsAsked(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	stale := time.Now().Add(-time.Hour)
	cases := []struct {
		name  string
		o     Options
		check func(s session) bool
	}{
		{"wrong SNI", Options{Domain: "other.example"}, func(s session) bool { return s.sni == "other.example" && s.tlsErr != nil }},
		{"no SNI", Options{}, func(s session) bool { return s.sni == "" && s.tlsErr != nil }},
		{"stale", Options{Domain: domain, Timestamp: stale}, func(s session) bool {
			return s.timestamp == uint32(stale.Unix()) && errors.Is(s.tlsErr, faketls.ErrStaleTimestamp)
		}},
		{"wrong secret", Options{Domain: domain, Secret: other}, func(s session) bool { return errors.Is(s.tlsErr, faketls.ErrBadDigest) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Mode = FakeTLS
			if o.Secret == ([16]byte{}) {
				o.Secret = secret
			}
			_, err := Dial(ctx(t), a.addr(), o)
			if !errors.Is(err, ErrServerFlight) {
				t.Fatalf("Dial: %v", err)
			}
			if s := a.last(); !c.check(s) {
				t.Fatalf("server saw %+v", s)
			}
		})
	}
}

func TestServerFlightVerified(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	a.flightSecret = &other // a peer that does not know our secret
	_, err := Dial(ctx(t), a.addr(), Options{Secret: secret, Mode: FakeTLS, Domain: domain})
	if !errors.Is(err, ErrServerFlight) || !errors.Is(err, faketls.ErrBadDigest) {
		t.Fatalf("Dial: %v", err)
	}
}

func TestHelloShape(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	split := []int{1, 100, 1000}
	c := dialT(t, a.addr(), Options{Secret: secret, Mode: FakeTLS, Domain: domain, HelloSize: 4000, SplitHello: split})
	if _, err := c.ReqPQ(ctx(t)); err != nil {
		t.Fatal(err)
	}
	hello := a.last().hello
	// 4 records: lengths 1, 99, 900, 3000; message 4000 bytes.
	var lens []int
	for off := 0; off < len(hello); {
		n := int(binary.BigEndian.Uint16(hello[off+3:]))
		lens = append(lens, n)
		off += faketls.RecordHeaderLen + n
	}
	if len(hello) != 4000+4*faketls.RecordHeaderLen || len(lens) != 4 || lens[0] != 1 || lens[3] != 3000 {
		t.Fatalf("hello of %d bytes in records %v", len(hello), lens)
	}
	// Default: the natural modern-client size, one record.
	h, err := NewHandshake(Options{Secret: secret, Mode: FakeTLS, Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(h.Hello); n < 1600 || n > 2000 || int(binary.BigEndian.Uint16(h.Hello[3:]))+5 != n {
		t.Fatalf("default hello of %d bytes", n)
	}
}

func TestTransportOverride(t *testing.T) {
	// FakeTLS with an intermediate tag: the header says ee.
	h, err := NewHandshake(Options{Secret: secret, Mode: FakeTLS, Domain: domain, Transport: framing.Intermediate})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := obfuscated2.Accept(&h.Header, [][16]byte{secret})
	if err != nil || acc.Transport != framing.Intermediate {
		t.Fatalf("%+v %v", acc, err)
	}
	rec := h.HeaderRecord()
	if !bytes.Equal(rec[:6], faketls.AppendChangeCipherSpec(nil)) || !bytes.Equal(rec[11:], h.Header[:]) ||
		!bytes.Equal(rec[6:11], []byte{0x17, 3, 3, 0, 64}) {
		t.Fatalf("header record %x", rec[:11])
	}
}

func TestBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"no mode":       {},
		"bad mode":      {Mode: 9},
		"bad transport": {Mode: Padded, Transport: 7},
		"bad split":     {Mode: FakeTLS, SplitHello: []int{5, 3}},
		"tiny pad":      {Mode: FakeTLS, HelloSize: 100},
	} {
		if _, err := NewHandshake(o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDialHonoursContext(t *testing.T) {
	// A peer that reads and never answers: the FakeTLS dial must give up
	// when the context ends, and Probe must report the silence.
	silent := startSilent(t)
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Dial(c, silent, Options{Secret: secret, Mode: FakeTLS, Domain: domain})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("Dial: %v after %v", err, time.Since(start))
	}
	res, err := Probe(ctx(t), silent, []byte("GET / HTTP/1.1\r\n\r\n"), 100*time.Millisecond, 1024)
	if err != nil || res.Closed || len(res.Reply) != 0 {
		t.Fatalf("probe of a silent peer: %+v %v", res, err)
	}
}

func TestWrongSecretObfuscated2(t *testing.T) {
	a := startAcceptor(t, domain, secret)
	c := dialT(t, a.addr(), Options{Secret: other, Mode: Padded})
	if _, err := c.ReqPQ(ctx(t)); err == nil {
		t.Fatal("resPQ through a peer that does not know the secret")
	}
	if s := a.last(); !errors.Is(s.err, obfuscated2.ErrUnknownProtocol) {
		t.Fatalf("acceptor: %+v", s)
	}
}

// startSilent listens, reads whatever comes and never writes.
func startSilent(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
				_, _ = io.Copy(io.Discard, nc)
			})
		}
	})
	return ln.Addr().String()
}
