package fakedc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/mtproto"
)

func TestReqPQAnsweredOnEveryTransport(t *testing.T) {
	d := Start(t, Options{})
	for i, tr := range transports {
		t.Run(tr.String(), func(t *testing.T) {
			dcID := int16(-2 - i) // media DCs too: the id is recorded as sent
			c := dial(t, d, tr, dcID)
			var nonce [16]byte
			copy(nonce[:], randBytes(t, 16))
			before := time.Now()
			c.send(t, mtproto.AppendReqPQMulti(nil, mtproto.MsgID(time.Now(), mtproto.ClientMsg), nonce), false)
			pkt, qa := c.recv(t)
			if qa {
				t.Fatal("unrequested quick ACK")
			}
			id, r, err := mtproto.ParseResPQ(pkt)
			if err != nil {
				t.Fatal(err)
			}
			if r.Nonce != nonce || r.PQ != mtproto.DefaultPQ ||
				len(r.Fingerprints) != 1 || r.Fingerprints[0] != mtproto.DefaultFingerprint {
				t.Fatalf("resPQ %+v", r)
			}
			if r.ServerNonce == ([16]byte{}) {
				t.Fatal("zero server nonce")
			}
			if k, _ := mtproto.KindOf(id); k != mtproto.ServerResponse {
				t.Fatalf("msg_id %#x is not a server response", id)
			}
			if at := mtproto.MsgIDTime(id); at.Before(before.Truncate(time.Second)) || at.After(time.Now()) {
				t.Fatalf("msg_id time %v", at)
			}
			// The resPQ's bytes are counted once its write returns.
			ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.DC == dcID && ci.ReqPQ == 1 && ci.BytesOut > 0 })
			if err != nil {
				t.Fatal(err)
			}
			if !ci.HeaderOK || ci.Transport != tr || ci.Packets != 1 || ci.BytesOut == 0 || ci.BytesIn == 0 {
				t.Fatalf("recorded %+v", ci)
			}
		})
	}
	if st := d.Stats(); st.ReqPQ != 3 || st.HeaderOK != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestEchoBoundarySizes(t *testing.T) {
	d := Start(t, Options{})
	// 504 is the longest short abridged header, 508 the shortest long one.
	sizes := []int{4, 16, 504, 508, 4096, 65536, framing.MaxPacketSize}
	for _, tr := range transports {
		t.Run(tr.String(), func(t *testing.T) {
			c := dial(t, d, tr, 2)
			for _, n := range sizes {
				pkt := randBytes(t, n)
				sent := make(chan error, 1)
				go func() { sent <- c.wr.WritePacket(pkt, false) }()
				got, _ := c.recv(t)
				if err := <-sent; err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, pkt) {
					t.Fatalf("%d-byte packet came back as %d bytes, different", n, len(got))
				}
			}
		})
	}
	// The last echo is counted once its write returns: wait for it.
	if st, err := d.WaitStats(ctx(t), func(st Stats) bool { return st.Echoed == int64(3*len(sizes)) }); err != nil {
		t.Fatalf("echoed %d: %v", st.Echoed, err)
	}
}

func TestQuickAckAnsweredFirst(t *testing.T) {
	d := Start(t, Options{Delay: 50 * time.Millisecond})
	for _, tr := range transports {
		t.Run(tr.String(), func(t *testing.T) {
			c := dial(t, d, tr, 1)
			pkt := randBytes(t, 64)
			c.send(t, pkt, true)
			tok, qa := c.recv(t)
			if !qa || binary.LittleEndian.Uint32(tok) != QuickAckToken(pkt) {
				t.Fatalf("first reply %x (quick ack %v), want token %#x", tok, qa, QuickAckToken(pkt))
			}
			echo, qa := c.recv(t)
			if qa || !bytes.Equal(echo, pkt) {
				t.Fatal("echo after the quick ACK differs")
			}
		})
	}
}

func TestQuickAckToken(t *testing.T) {
	// SHA-256("") = e3b0c442...; LE32 of e3 b0 c4 42 is 0x42c4b0e3, bit 31 set.
	if got := QuickAckToken(nil); got != 0xc2c4b0e3 {
		t.Fatalf("token %#x", got)
	}
}

func reqDH(t *testing.T) []byte {
	r := &mtproto.ReqDHParams{P: 1229739323, Q: 1402015859, Fingerprint: mtproto.DefaultFingerprint,
		EncryptedData: randBytes(t, 256)}
	return r.Append(nil, mtproto.MsgID(time.Now(), mtproto.ClientMsg))
}

func TestReqDHRecordedNotAnswered(t *testing.T) {
	d := Start(t, Options{})
	c1 := dial(t, d, transports[1], 4)
	c2 := dial(t, d, transports[2], 5)
	m1, m2 := reqDH(t), reqDH(t)
	if len(m1) != 340 {
		t.Fatalf("req_DH_params of %d bytes", len(m1))
	}
	c1.send(t, m1, false)
	ci, err := d.WaitReqDH(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if ci.DC != 4 || !bytes.Equal(ci.ReqDH, m1) {
		t.Fatalf("first event %+v", ci)
	}
	c2.send(t, m2, false)
	if ci, err = d.WaitReqDH(ctx(t)); err != nil || ci.DC != 5 || !bytes.Equal(ci.ReqDH, m2) {
		t.Fatalf("second event %+v %v", ci, err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := d.WaitReqDH(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an event was delivered twice: %v", err)
	}
	c1.deadline(t, 100*time.Millisecond)
	if _, _, err := c1.rd.ReadPacket(); !isTimeout(err) {
		t.Fatalf("req_DH_params answered: %v", err)
	}
}

func TestCloseOnReqDH(t *testing.T) {
	d := Start(t, Options{CloseOnReqDH: true})
	c := dial(t, d, transports[0], 2)
	c.send(t, reqDH(t), false)
	c.deadline(t, 5*time.Second)
	if _, _, err := c.rd.ReadPacket(); !errors.Is(err, io.EOF) {
		t.Fatalf("read after req_DH_params: %v, want EOF", err)
	}
	ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.Closed })
	if err != nil || ci.Err != nil || ci.ReqDH == nil {
		t.Fatalf("%+v %v", ci, err)
	}
}

func TestMalformedReqPQClosesConnection(t *testing.T) {
	d := Start(t, Options{})
	c := dial(t, d, transports[1], 2)
	var nonce [16]byte
	bad := mtproto.AppendReqPQMulti(nil, 4, nonce)
	bad = mtproto.AppendPlain(nil, 4, append(bad[mtproto.PlainHeaderLen:], 0, 0, 0, 0)) // trailing bytes
	c.send(t, bad, false)
	ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.Closed })
	if err != nil || !errors.Is(ci.Err, mtproto.ErrTrailing) {
		t.Fatalf("%+v %v", ci, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
