package faketls

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"io"
	mrand "math/rand/v2"
	"testing"
)

// testRand returns a deterministic random stream.
func testRand(seed byte) io.Reader {
	return mrand.NewChaCha8([32]byte{seed})
}

var (
	testSecret = [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	testDomain = "www.example.com"
)

// refHMAC is HMAC-SHA256 from the standard library, the independent reference.
func refHMAC(key [16]byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key[:])
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// handHello assembles a minimal ClientHello record byte by byte, with a
// zero client_random, independently of the package's builder.
func handHello(sni string, sid []byte, suites []uint16) []byte {
	var body []byte
	body = append(body, 0x03, 0x03)
	body = append(body, make([]byte, 32)...)
	body = append(body, byte(len(sid)))
	body = append(body, sid...)
	body = append(body, byte(2*len(suites)>>8), byte(2*len(suites)))
	for _, s := range suites {
		body = append(body, byte(s>>8), byte(s))
	}
	body = append(body, 0x01, 0x00)
	var exts []byte
	if sni != "" {
		n := len(sni)
		exts = append(exts, 0x00, 0x00, byte((n+5)>>8), byte(n+5), byte((n+3)>>8), byte(n+3), 0x00, byte(n>>8), byte(n))
		exts = append(exts, sni...)
	}
	exts = append(exts, 0x00, 0x17, 0x00, 0x00) // extended_master_secret, empty
	body = append(body, byte(len(exts)>>8), byte(len(exts)))
	body = append(body, exts...)
	msg := append([]byte{0x01, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 0x03, 0x01, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// signHand fills in the client_random of a hand-made hello record for secret
// and timestamp ts, computing the MAC with crypto/hmac.
func signHand(rec []byte, secret [16]byte, ts uint32) {
	clear(rec[11:43])
	sum := refHMAC(secret, rec)
	copy(rec[11:39], sum[:28])
	binary.LittleEndian.PutUint32(rec[39:43], binary.LittleEndian.Uint32(sum[28:32])^ts)
}

// buildHello builds a hello or fails the test.
func buildHello(t testing.TB, seed byte, o HelloOptions) ([]byte, [32]byte) {
	t.Helper()
	raw, random, err := BuildClientHello(testRand(seed), testSecret, o)
	if err != nil {
		t.Fatalf("BuildClientHello(%+v): %v", o, err)
	}
	return raw, random
}

// joinRecords re-frames a record sequence carrying one handshake message as
// one record with the first record's type and version, independently of
// ReadClientHello.
func joinRecords(t testing.TB, raw []byte) []byte {
	t.Helper()
	var msg []byte
	for r := raw; len(r) > 0; {
		n := int(binary.BigEndian.Uint16(r[3:5]))
		msg = append(msg, r[5:5+n]...)
		r = r[5+n:]
	}
	return append([]byte{raw[0], raw[1], raw[2], byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

func mustEqual(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %x\nwant %x", what, got, want)
	}
}

// legacyProfile is the fixed shape Telegram's official proxy answers with:
// key_share x25519 then supported_versions, the client's suite, one
// application-data record of n bytes.
func legacyProfile(n int) *ServerProfile {
	return &ServerProfile{
		Group:      GroupX25519,
		Extensions: []Extension{{Type: 0x0033}, {Type: 0x002b}},
		Records:    []int{n},
	}
}
