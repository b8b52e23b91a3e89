package rpc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNonceLayout(t *testing.T) {
	n := Nonce{KeySelector: 0xcafaf9c4, Schema: CryptoSchemaAES, Time: 0x5b1a2b3c}
	copy(n.Nonce[:], "0123456789abcdef")
	b := AppendNonce(nil, n)
	want := unhex(t, "aa87cb7a"+"c4f9faca"+"01000000"+"3c2b1a5b") // type, selector, schema, ts
	want = append(want, "0123456789abcdef"...)
	if !bytes.Equal(b, want) {
		t.Fatalf("nonce = %x\nwant   %x", b, want)
	}
	got, err := ParseNonce(b)
	if err != nil || got != n {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if _, err := ParseNonce(b[:31]); !errors.Is(err, ErrMessageSize) {
		t.Errorf("short: %v", err)
	}
	if _, err := ParseNonce(append(b, 0, 0, 0, 0)); !errors.Is(err, ErrMessageSize) {
		t.Errorf("long (extended schema): %v", err)
	}
	if _, err := ParseNonce(AppendPing(nil, 1)); !errors.Is(err, ErrUnexpectedType) {
		t.Errorf("ping as nonce: %v", err)
	}
}

func TestVerifyServerNonce(t *testing.T) {
	ok := Nonce{KeySelector: 7, Schema: CryptoSchemaAES, Time: 1000}
	for _, tc := range []struct {
		n    Nonce
		want error
	}{
		{ok, nil},
		{Nonce{KeySelector: 7, Schema: 1, Time: 1030}, nil},
		{Nonce{KeySelector: 7, Schema: 1, Time: 970}, nil},
		{Nonce{KeySelector: 7, Schema: 1, Time: 1031}, ErrClockSkew},
		{Nonce{KeySelector: 7, Schema: 1, Time: 969}, ErrClockSkew},
		{Nonce{KeySelector: 8, Schema: 1, Time: 1000}, ErrKeySelector},
		{Nonce{KeySelector: 7, Schema: 0, Time: 1000}, ErrCryptoSchema},
	} {
		if err := VerifyServerNonce(tc.n, 7, 1000); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%+v: %v, want %v", tc.n, err, tc.want)
		}
	}
}

func TestHandshakeLayout(t *testing.T) {
	h := Handshake{
		Flags:  HandshakeFlagCRC32C,
		Sender: ProcessID{IP: 0x0a000001, Port: 0x1234, PID: 0x5678, Utime: 0x01020304},
		Peer:   ProcessID{IP: 0x959aa226, Port: 80},
	}
	b := AppendHandshake(nil, h)
	want := unhex(t, "f5ee8276"+"00080000"+
		"0100000a"+"3412"+"7856"+"04030201"+ // ip 10.0.0.1 as a LE number, port, pid, utime
		"26a29a95"+"5000"+"0000"+"00000000")
	if !bytes.Equal(b, want) {
		t.Fatalf("handshake = %x\nwant       %x", b, want)
	}
	got, err := ParseHandshake(b)
	if err != nil || got != h {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if _, err := ParseHandshake(b[:28]); !errors.Is(err, ErrMessageSize) {
		t.Errorf("short: %v", err)
	}

	he := HandshakeError{Code: -4, Sender: h.Sender}
	eb := appendHandshakeError(nil, he)
	if len(eb) != HandshakeErrorSize {
		t.Fatalf("handshake error is %d bytes", len(eb))
	}
	_, err = ParseHandshake(eb)
	var got2 *HandshakeError
	if !errors.As(err, &got2) || *got2 != he {
		t.Fatalf("ParseHandshake(error packet) = %v", err)
	}
	if _, err := ParseHandshakeError(eb[:16]); !errors.Is(err, ErrMessageSize) {
		t.Errorf("short error packet: %v", err)
	}
}

func TestNewProcessID(t *testing.T) {
	ts := time.Unix(1700000000, 0)
	p := NewProcessID(netip.MustParseAddrPort("10.1.2.3:443"), 0x12345, ts)
	if p != (ProcessID{IP: 0x0a010203, Port: 443, PID: 0x2345, Utime: 1700000000}) {
		t.Errorf("v4: %+v", p)
	}
	if p := NewProcessID(netip.MustParseAddrPort("127.0.0.1:1"), 5, time.Time{}); p.IP != 0 || p.Utime != 0 {
		t.Errorf("loopback / zero time: %+v", p)
	}
	if p := NewProcessID(netip.MustParseAddrPort("[2001:db8::1]:8888"), 5, ts); p.IP != 0 || p.Port != 8888 {
		t.Errorf("v6: %+v", p)
	}
}

func TestVerifyServerHandshake(t *testing.T) {
	me := ProcessID{IP: 1, Port: 2, PID: 3, Utime: 4}
	sent := Handshake{Flags: HandshakeFlagCRC32C, Sender: me}
	for _, tc := range []struct {
		srv  Handshake
		sent Handshake
		sum  Checksum
		err  error
	}{
		{Handshake{Flags: HandshakeFlagCRC32C, Peer: me}, sent, ChecksumCRC32C, nil},
		{Handshake{Peer: me}, sent, ChecksumCRC32, nil},
		{Handshake{Peer: ProcessID{IP: 1}}, sent, ChecksumCRC32, nil}, // zero fields are wildcards
		{Handshake{Peer: ProcessID{PID: 9}}, sent, 0, ErrPIDMismatch},
		{Handshake{Flags: 1, Peer: me}, sent, 0, ErrHandshakeFlags},
		{Handshake{Flags: HandshakeFlagCRC32C, Peer: me}, Handshake{Sender: me}, 0, ErrCRC32CNotOffered},
	} {
		sum, err := VerifyServerHandshake(tc.srv, tc.sent)
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) || (err == nil && sum != tc.sum) {
			t.Errorf("%+v: %v, %v; want %v, %v", tc.srv, sum, err, tc.sum, tc.err)
		}
	}
}

func TestProxyReqLayout(t *testing.T) {
	tag := AdTag(unhex(t, "00112233445566778899aabbccddeeff"))
	r := ProxyReq{
		Flags:      RequestFlags(framing.Intermediate, true, true, false),
		ConnID:     0x0102030405060708,
		ClientAddr: netip.MustParseAddrPort("1.2.3.4:5678"),
		ProxyAddr:  netip.MustParseAddrPort("[2001:db8::7]:443"),
		AdTag:      &tag,
	}
	packet := bytes.Repeat([]byte{0xee}, 24)
	b := appendProxyReq(nil, &r, packet)
	want := unhex(t, "eef1ce36"+"081002a0"+"0807060504030201"+
		"00000000000000000000ffff01020304"+"2e160000"+
		"20010db8000000000000000000000007"+"bb010000"+
		"18000000"+"ae261edb"+"10"+"00112233445566778899aabbccddeeff"+"000000")
	want = append(want, packet...)
	if !bytes.Equal(b, want) {
		t.Fatalf("proxy req = %x\nwant        %x", b, want)
	}
	if len(b)-len(packet) != ProxyReqHeaderSize(true) {
		t.Errorf("header %d bytes, ProxyReqHeaderSize says %d", len(b)-len(packet), ProxyReqHeaderSize(true))
	}
	got, pkt, err := parseProxyReq(b)
	if err != nil || !bytes.Equal(pkt, packet) || got.Flags != r.Flags || got.ConnID != r.ConnID ||
		got.ClientAddr != r.ClientAddr || got.ProxyAddr != r.ProxyAddr || got.AdTag == nil || *got.AdTag != tag {
		t.Fatalf("round trip = %+v, %x, %v", got, pkt, err)
	}

	// Without a tag the flag is cleared even if the caller set it.
	r.AdTag = nil
	b = AppendProxyReqHeader(nil, &r)
	if len(b) != ProxyReqHeaderSize(false) {
		t.Fatalf("untagged header %d bytes", len(b))
	}
	got, pkt, err = parseProxyReq(b)
	if err != nil || got.Flags&FlagHasAdTag != 0 || got.AdTag != nil || len(pkt) != 0 {
		t.Fatalf("untagged = %+v, %v", got, err)
	}
}

func TestParseProxyReqErrors(t *testing.T) {
	tag := AdTag{}
	good := appendProxyReq(nil, &ProxyReq{AdTag: &tag}, []byte{1, 2, 3, 4})
	bad := func(mutate func(b []byte) []byte) []byte { return mutate(append([]byte(nil), good...)) }
	for name, b := range map[string][]byte{
		"short":        good[:50],
		"no extra":     good[:proxyReqFixed+2],
		"size 4096":    bad(func(b []byte) []byte { b[proxyReqFixed+1] = 0x10; return b }),
		"size 23":      bad(func(b []byte) []byte { b[proxyReqFixed] = 23; return b }),
		"unknown item": bad(func(b []byte) []byte { b[proxyReqFixed+4] = 0; return b }),
		"tag len 15":   bad(func(b []byte) []byte { b[proxyReqFixed+8] = 15; return b }),
		"tag len 200":  bad(func(b []byte) []byte { b[proxyReqFixed+8] = 200; return b }),
		"flag off":     bad(func(b []byte) []byte { b[4] = 0x04; return b }), // HTTP info flag, but a tag item
	} {
		if _, _, err := parseProxyReq(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRequestFlags(t *testing.T) {
	for _, tc := range []struct {
		tr             framing.Transport
		qa, tag, unenc bool
		want           uint32
	}{
		{framing.Abridged, false, false, false, 0x40021000},
		{framing.Intermediate, false, false, false, 0x20021000},
		{framing.Padded, false, false, false, 0x20021000}, // official: RPC_F_PAD masked out
		{framing.Padded, true, true, true, 0xa002100a},
		{framing.Abridged, true, false, true, 0xc0021002},
	} {
		if got := RequestFlags(tc.tr, tc.qa, tc.tag, tc.unenc); got != tc.want {
			t.Errorf("%v qa=%v tag=%v unenc=%v: %08x, want %08x", tc.tr, tc.qa, tc.tag, tc.unenc, got, tc.want)
		}
	}
}

func TestServerMessages(t *testing.T) {
	data := []byte("answer..")
	for _, tc := range []struct {
		b    []byte
		want ServerMessage
	}{
		{appendProxyAns(nil, 8, 0x1122334455667788, data), ServerMessage{Type: TypeProxyAns, Flags: 8, ConnID: 0x1122334455667788, Data: data}},
		{appendProxyAns(nil, 0, 1, nil), ServerMessage{Type: TypeProxyAns, ConnID: 1, Data: []byte{}}},
		{appendSimpleAck(nil, 42, 0xdeadbeef), ServerMessage{Type: TypeSimpleAck, ConnID: 42, Confirm: 0xdeadbeef}},
		{appendCloseExt(nil, 43), ServerMessage{Type: TypeCloseExt, ConnID: 43}},
		{AppendPing(nil, 44), ServerMessage{Type: TypePing, PingID: 44}},
		{AppendPong(nil, 45), ServerMessage{Type: TypePong, PingID: 45}},
	} {
		got, err := ParseServerMessage(tc.b)
		if err != nil || got.Type != tc.want.Type || got.Flags != tc.want.Flags || got.ConnID != tc.want.ConnID ||
			got.Confirm != tc.want.Confirm || got.PingID != tc.want.PingID || !bytes.Equal(got.Data, tc.want.Data) {
			t.Errorf("%v: %+v, %v", tc.want.Type, got, err)
		}
		// Every fixed-size message refuses a trailing word; all refuse truncation.
		if tc.want.Type != TypeProxyAns {
			if _, err := ParseServerMessage(append(tc.b, 0, 0, 0, 0)); !errors.Is(err, ErrMessageSize) {
				t.Errorf("%v + 4 bytes: %v", tc.want.Type, err)
			}
		}
		if _, err := ParseServerMessage(tc.b[:len(tc.b)-len(got.Data)-4]); !errors.Is(err, ErrMessageSize) {
			t.Errorf("%v truncated: %v", tc.want.Type, err)
		}
	}
	// Exact bytes of a SIMPLE_ACK: type, conn id, confirm, all little-endian.
	if b := appendSimpleAck(nil, 0x0102030405060708, 0xa1b2c3d4); !bytes.Equal(b, unhex(t, "9b40ac3b"+"0807060504030201"+"d4c3b2a1")) {
		t.Errorf("simple ack = %x", b)
	}
	if _, err := ParseServerMessage(AppendCloseConn(nil, 1)); !errors.Is(err, ErrUnknownType) {
		t.Errorf("close conn from server: %v", err)
	}
	if _, err := ParseServerMessage([]byte{1, 2}); !errors.Is(err, ErrMessageSize) {
		t.Errorf("2 bytes: %v", err)
	}
	id, err := parseCloseConn(AppendCloseConn(nil, 0xabcdef))
	if err != nil || id != 0xabcdef {
		t.Errorf("close conn round trip: %x, %v", id, err)
	}
	if b := AppendCloseConn(nil, 1); !bytes.Equal(b, unhex(t, "5d42cf1f0100000000000000")) {
		t.Errorf("close conn = %x", b)
	}
	if b := AppendPong(nil, 1); !bytes.Equal(b, unhex(t, "a7ea30840100000000000000")) {
		t.Errorf("pong = %x", b)
	}
}

func TestTypeString(t *testing.T) {
	if TypeProxyAns.String() != "RPC_PROXY_ANS" || Type(1).String() != "0x00000001" {
		t.Error(TypeProxyAns.String(), Type(1).String())
	}
}
