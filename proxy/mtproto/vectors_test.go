package mtproto

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// Vectors below were produced by Telethon 1.25.1 (Debian python3-telethon),
// independently of this package:
//
//	nonce = int.from_bytes(bytes(range(16)), "little", signed=True)
//	snonce = int.from_bytes(bytes(range(16, 32)), "little", signed=True)
//	struct.pack("<qqi", 0, 0x5f00000012345678, len(b)) + b  # b = bytes(request)
const (
	telethonMsgID = 0x5f00000012345678

	telethonReqPQ = "0000000000000000785634120000005f14000000" +
		"f18e7ebe000102030405060708090a0b0c0d0e0f"

	// bytes(ResPQ(nonce, snonce, pq=get_byte_array(0x17ED48941A08F981),
	// server_public_key_fingerprints=[0x0bc35f3509f7b7a5, -5]))
	telethonResPQBody = "63241605000102030405060708090a0b0c0d0e0f" +
		"101112131415161718191a1b1c1d1e1f0817ed48941a08f98100000015c4b51c" +
		"02000000a5b7f709355fc30bfbffffffffffffff"

	// ReqDHParamsRequest(nonce, snonce, p=get_byte_array(1229739323),
	// q=get_byte_array(1402015859), public_key_fingerprint=0x0bc35f3509f7b7a5,
	// encrypted_data=bytes(range(256))): the 340 bytes Telethon sends.
	telethonReqDHHead = "0000000000000000785634120000005f40010000" +
		"bee412d7000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" +
		"04494c553b0000000453911073000000a5b7f709355fc30bfe000100"
)

func seq(from, n int) (b []byte) {
	for i := range n {
		b = append(b, byte(from+i))
	}
	return b
}

func nonces() (nonce, server [16]byte) {
	copy(nonce[:], seq(0, 16))
	copy(server[:], seq(16, 16))
	return nonce, server
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReqPQMultiMatchesTelethon(t *testing.T) {
	nonce, _ := nonces()
	want := unhex(t, telethonReqPQ)
	got := AppendReqPQMulti(nil, telethonMsgID, nonce)
	if !bytes.Equal(got, want) {
		t.Fatalf("req_pq_multi\n got %x\nwant %x", got, want)
	}
	if len(got) != ReqPQMultiLen {
		t.Fatalf("len %d, want %d", len(got), ReqPQMultiLen)
	}
	id, n, err := ParseReqPQMulti(want)
	if err != nil || id != telethonMsgID || n != nonce {
		t.Fatalf("parse: %x %x %v", id, n, err)
	}
}

func TestResPQMatchesTelethon(t *testing.T) {
	nonce, server := nonces()
	r := &ResPQ{Nonce: nonce, ServerNonce: server, PQ: DefaultPQ, Fingerprints: []int64{DefaultFingerprint, -5}}
	got := r.Append(nil, telethonMsgID)
	want := AppendPlain(nil, telethonMsgID, unhex(t, telethonResPQBody))
	if !bytes.Equal(got, want) {
		t.Fatalf("resPQ\n got %x\nwant %x", got, want)
	}
	id, back, err := ParseResPQ(want)
	if err != nil || id != telethonMsgID {
		t.Fatalf("parse: %x %v", id, err)
	}
	if back.Nonce != nonce || back.ServerNonce != server || back.PQ != DefaultPQ ||
		len(back.Fingerprints) != 2 || back.Fingerprints[0] != DefaultFingerprint || back.Fingerprints[1] != -5 {
		t.Fatalf("parsed %+v", back)
	}
}

func TestReqDHParamsMatchesTelethon(t *testing.T) {
	nonce, server := nonces()
	want := append(unhex(t, telethonReqDHHead), seq(0, 256)...)
	if len(want) != 340 {
		t.Fatalf("vector is %d bytes, want 340", len(want))
	}
	r := &ReqDHParams{Nonce: nonce, ServerNonce: server, P: 1229739323, Q: 1402015859,
		Fingerprint: DefaultFingerprint, EncryptedData: seq(0, 256)}
	if got := r.Append(nil, telethonMsgID); !bytes.Equal(got, want) {
		t.Fatalf("req_DH_params\n got %x\nwant %x", got, want)
	}
	id, back, err := ParseReqDHParams(want)
	if err != nil || id != telethonMsgID {
		t.Fatalf("parse: %x %v", id, err)
	}
	if back.P*back.Q != DefaultPQ {
		t.Fatalf("p*q = %#x, want DefaultPQ", back.P*back.Q)
	}
	if back.Fingerprint != DefaultFingerprint || !bytes.Equal(back.EncryptedData, seq(0, 256)) {
		t.Fatalf("parsed %+v", back)
	}
	if c, ok := Constructor(want); !ok || c != CtorReqDHParams {
		t.Fatalf("Constructor = %#x %v", c, ok)
	}
}

func TestAppendBytesMatchesTelethon(t *testing.T) {
	// TLObject.serialize_bytes(b"\xaa" * n): total length, first 5 and last 4 bytes.
	cases := []struct {
		n, total   int
		head, tail string
	}{
		{0, 4, "00000000", "00000000"},
		{1, 4, "01aa0000", "01aa0000"},
		{3, 4, "03aaaaaa", "03aaaaaa"},
		{4, 8, "04aaaaaaaa", "aa000000"},
		{253, 256, "fdaaaaaaaa", "aaaa0000"},
		{254, 260, "fefe0000aa", "aaaa0000"},
		{255, 260, "feff0000aa", "aaaaaa00"},
		{300, 304, "fe2c0100aa", "aaaaaaaa"},
	}
	for _, c := range cases {
		b := AppendBytes(nil, bytes.Repeat([]byte{0xaa}, c.n))
		if len(b) != c.total || hex.EncodeToString(b[:len(c.head)/2]) != c.head ||
			hex.EncodeToString(b[len(b)-4:]) != c.tail {
			t.Errorf("n=%d: got %d bytes %x", c.n, len(b), b)
			continue
		}
		val, rest, err := readBytes(b)
		if err != nil || len(val) != c.n || len(rest) != 0 {
			t.Errorf("n=%d: read back %d bytes, rest %d, %v", c.n, len(val), len(rest), err)
		}
	}
}
