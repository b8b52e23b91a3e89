package mtproto

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestParsePlainErrors(t *testing.T) {
	nonce, _ := nonces()
	good := AppendReqPQMulti(nil, 8, nonce)
	mut := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	cases := []struct {
		name string
		pkt  []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"envelope only", good[:PlainHeaderLen-1], ErrShort},
		{"encrypted", mut(func(b []byte) []byte { b[3] = 1; return b }), ErrNotPlain},
		{"zero msg_id", mut(func(b []byte) []byte { clear(b[8:16]); return b }), ErrBadMsgID},
		{"length too big", mut(func(b []byte) []byte { b[16]++; return b }), ErrBadLength},
		{"length too small", mut(func(b []byte) []byte { b[16]--; return b }), ErrBadLength},
		{"length high bit", mut(func(b []byte) []byte { b[19] = 0x80; return b }), ErrBadLength},
		{"trailing", mut(func(b []byte) []byte { return append(b, 0, 0, 0, 0) }), ErrBadLength},
	}
	for _, c := range cases {
		if _, _, err := ParsePlain(c.pkt); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
		if _, ok := Constructor(c.pkt); ok {
			t.Errorf("%s: Constructor ok on a bad message", c.name)
		}
	}
}

func TestParsersRejectOtherConstructors(t *testing.T) {
	nonce, server := nonces()
	req := AppendReqPQMulti(nil, 4, nonce)
	res := (&ResPQ{Nonce: nonce, ServerNonce: server, PQ: DefaultPQ}).Append(nil, 5)
	if _, _, err := ParseResPQ(req); !errors.Is(err, ErrConstructor) {
		t.Errorf("ParseResPQ(req_pq_multi): %v", err)
	}
	if _, _, err := ParseReqPQMulti(res); !errors.Is(err, ErrConstructor) {
		t.Errorf("ParseReqPQMulti(resPQ): %v", err)
	}
	if _, _, err := ParseReqDHParams(res); !errors.Is(err, ErrConstructor) {
		t.Errorf("ParseReqDHParams(resPQ): %v", err)
	}
	if _, _, err := ParseReqPQMulti(AppendPlain(nil, 4, []byte{1, 2})); !errors.Is(err, ErrShort) {
		t.Errorf("2-byte body: %v", err)
	}
}

// withBody re-wraps a message's body after f changes it.
func withBody(pkt []byte, f func(body []byte) []byte) []byte {
	id, body, err := ParsePlain(pkt)
	if err != nil {
		panic(err)
	}
	return AppendPlain(nil, id, f(append([]byte(nil), body...)))
}

func TestParseResPQMalformed(t *testing.T) {
	nonce, server := nonces()
	good := (&ResPQ{Nonce: nonce, ServerNonce: server, PQ: DefaultPQ, Fingerprints: []int64{1, 2}}).Append(nil, 5)
	_, body, _ := ParsePlain(good)
	pqAt := 4 + 32 // the pq bytes field
	vecAt := pqAt + 12
	cases := []struct {
		name string
		f    func(b []byte) []byte
		want error
	}{
		{"truncated nonce", func(b []byte) []byte { return b[:20] }, ErrShort},
		{"truncated pq", func(b []byte) []byte { return b[:pqAt+5] }, ErrShort},
		{"pq 0xff prefix", func(b []byte) []byte { b[pqAt] = 0xff; return b }, ErrBadBytes},
		{"pq nonzero pad", func(b []byte) []byte { b[pqAt+9] = 1; return b }, ErrBadBytes},
		{"pq empty", func(b []byte) []byte {
			return append(append(b[:pqAt:pqAt], 0, 0, 0, 0), b[vecAt:]...)
		}, ErrBadBytes},
		{"pq long form for short", func(b []byte) []byte {
			return append(append(b[:pqAt:pqAt], 0xfe, 8, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8), b[vecAt:]...)
		}, ErrBadBytes},
		{"pq 9 bytes", func(b []byte) []byte {
			return append(append(b[:pqAt:pqAt], 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0), b[vecAt:]...)
		}, ErrBadBytes},
		{"pq leading zero", func(b []byte) []byte {
			return append(append(b[:pqAt:pqAt], 2, 0, 1, 0), b[vecAt:]...)
		}, ErrBadBytes},
		{"huge pq", func(b []byte) []byte { copy(b[pqAt:], []byte{0xfe, 0xff, 0xff, 0xff}); return b }, ErrTooLarge},
		{"bad vector ctor", func(b []byte) []byte { b[vecAt]++; return b }, ErrConstructor},
		{"no count", func(b []byte) []byte { return b[:vecAt+4] }, ErrShort},
		{"count past end", func(b []byte) []byte { b[vecAt+4] = 3; return b }, ErrShort},
		{"huge count", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[vecAt+4:], 1<<31); return b }, ErrTooLarge},
		{"trailing", func(b []byte) []byte { return append(b, 0, 0, 0, 0) }, ErrTrailing},
	}
	if len(body) != vecAt+8+16 {
		t.Fatalf("layout: body of %d bytes", len(body))
	}
	for _, c := range cases {
		if _, _, err := ParseResPQ(withBody(good, c.f)); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseReqDHMalformed(t *testing.T) {
	nonce, server := nonces()
	good := (&ReqDHParams{Nonce: nonce, ServerNonce: server, P: 3, Q: 5, Fingerprint: 7,
		EncryptedData: make([]byte, 256)}).Append(nil, 4)
	cases := []struct {
		name string
		f    func(b []byte) []byte
		want error
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, ErrShort},
		{"trailing", func(b []byte) []byte { return append(b, 0, 0, 0, 0) }, ErrTrailing},
		{"no fingerprint", func(b []byte) []byte { return b[:4+32+8+6] }, ErrShort},
		{"q past the end", func(b []byte) []byte { copy(b[4+32+4:], []byte{0xfe, 0xe8, 0x03, 0}); return b }, ErrShort},
		{"q overlaps fingerprint", func(b []byte) []byte { b[4+32+4] = 12; return b }, ErrBadBytes},
	}
	for _, c := range cases {
		if _, _, err := ParseReqDHParams(withBody(good, c.f)); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

func TestRoundTrips(t *testing.T) {
	for _, pq := range []uint64{0, 1, 0xff, 0x100, 1<<63 | 1, ^uint64(0)} {
		r := &ResPQ{PQ: pq, Fingerprints: []int64{}}
		r.Nonce[0], r.ServerNonce[15] = 1, 2
		_, back, err := ParseResPQ(r.Append(nil, 1))
		if err != nil || back.PQ != pq || back.Nonce != r.Nonce || back.ServerNonce != r.ServerNonce || len(back.Fingerprints) != 0 {
			t.Errorf("pq %#x: %+v %v", pq, back, err)
		}
	}
	for _, n := range []int{0, 1, 253, 254, 1000} {
		r := &ReqDHParams{P: 2, Q: 3, Fingerprint: -1, EncryptedData: seq(3, n)}
		_, back, err := ParseReqDHParams(r.Append(nil, 4))
		if err != nil || back.P != 2 || back.Q != 3 || back.Fingerprint != -1 || string(back.EncryptedData) != string(r.EncryptedData) {
			t.Errorf("data %d: %+v %v", n, back, err)
		}
	}
}
