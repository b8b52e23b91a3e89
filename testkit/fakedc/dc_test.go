package fakedc

import (
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/mtproto"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

func TestRejectAfterHeader(t *testing.T) {
	d := Start(t, Options{RejectAfterHeader: true})
	c := dial(t, d, transports[2], -4)
	c.deadline(t, 5*time.Second)
	if _, err := c.nc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read: %v, want EOF", err)
	}
	ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.Closed })
	if err != nil || !ci.HeaderOK || ci.DC != -4 || ci.Transport != transports[2] || ci.Err != nil {
		t.Fatalf("%+v %v", ci, err)
	}
}

func TestBadHeaders(t *testing.T) {
	d := Start(t, Options{HeaderTimeout: 200 * time.Millisecond})
	// A client header made with a secret does not decrypt without it.
	secret := [16]byte{1, 2, 3}
	hdr, _, _, err := obfuscated2.Generate(rand.Reader, &secret, transports[0], 2)
	if err != nil {
		t.Fatal(err)
	}
	for name, payload := range map[string][]byte{"with secret": hdr[:], "short": hdr[:10]} {
		nc, err := net.Dial("tcp", d.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := nc.Write(payload); err != nil {
			t.Fatal(err)
		}
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("%s: read %v, want EOF", name, err)
		}
	}
	st, err := d.WaitStats(ctx(t), func(s Stats) bool { return s.Active == 0 })
	if err != nil || st.BadHeader != 2 || st.HeaderOK != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	for _, ci := range d.Conns() {
		if ci.HeaderOK || ci.Err == nil {
			t.Errorf("%+v", ci)
		}
	}
	if !errors.Is(d.Conns()[0].Err, obfuscated2.ErrUnknownProtocol) && !errors.Is(d.Conns()[1].Err, obfuscated2.ErrUnknownProtocol) {
		t.Error("no connection failed with ErrUnknownProtocol")
	}
}

func TestDelayedAnswer(t *testing.T) {
	const delay = 150 * time.Millisecond
	d := Start(t, Options{Delay: delay})
	c := dial(t, d, transports[1], 2)
	start := time.Now()
	c.send(t, mtproto.AppendReqPQMulti(nil, 4, [16]byte{9}), false)
	c.recv(t)
	if el := time.Since(start); el < delay {
		t.Fatalf("resPQ after %v, want at least %v", el, delay)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	d, err := New(Options{Delay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	idle := dial(t, d, transports[0], 2)
	waiting := dial(t, d, transports[1], 2) // stuck in an hour-long Delay
	waiting.send(t, []byte("ping"), false)
	if _, err := d.WaitStats(ctx(t), func(s Stats) bool { return s.HeaderOK == 2 && s.BytesIn >= 8 }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := d.WaitReqDH(ctx(t)); !errors.Is(err, ErrClosed) {
			t.Errorf("WaitReqDH after Close: %v", err)
		}
	})
	start := time.Now()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("Close took %v", el)
	}
	wg.Wait()
	for _, c := range []*dcClient{idle, waiting} {
		c.deadline(t, 5*time.Second)
		if _, err := c.nc.Read(make([]byte, 1)); err == nil {
			t.Fatal("connection still open after Close")
		}
	}
	for _, ci := range d.Conns() {
		if !ci.Closed || ci.Err != nil {
			t.Fatalf("after Close: %+v", ci)
		}
	}
	if d.Close() != nil {
		t.Fatal("second Close failed")
	}
	if _, err := net.Dial("tcp", d.Addr()); err == nil {
		t.Fatal("still listening")
	}
}

func TestConcurrentPacketConnections(t *testing.T) {
	d := Start(t, Options{})
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := dial(t, d, transports[i%3], int16(i%5+1))
			var nonce [16]byte
			nonce[0], nonce[1] = byte(i), byte(i>>8)
			c.send(t, mtproto.AppendReqPQMulti(nil, 4, nonce), false)
			p, _ := c.recv(t)
			if _, r, err := mtproto.ParseResPQ(p); err != nil || r.Nonce != nonce {
				t.Errorf("conn %d: %v", i, err)
			}
			msg := randBytes(t, 4*(i+1))
			c.send(t, msg, false)
			if p, _ := c.recv(t); string(p) != string(msg) {
				t.Errorf("conn %d: echo differs", i)
			}
		})
	}
	wg.Wait()
	// An answer is counted once its write returns, maybe after the client
	// read it: wait for the counts.
	if st, err := d.WaitStats(ctx(t), func(st Stats) bool { return st.ReqPQ == n && st.Echoed == n }); err != nil || st.Accepted != n {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestUnknownMode(t *testing.T) {
	if _, err := New(Options{Mode: 7}); err == nil {
		t.Fatal("mode 7 accepted")
	}
}
