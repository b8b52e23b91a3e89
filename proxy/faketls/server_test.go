package faketls

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"io"
	"testing"
)

func TestServerFlightLayout(t *testing.T) {
	hello := &ClientHello{CipherSuite: 0x1302}
	testRand(10).Read(hello.Random[:])
	hello.SessionID = bytes.Repeat([]byte{0xab}, 32)
	const n = 2345
	fl, err := ServerFlight(testRand(11), testSecret, hello, legacyProfile(n))
	if err != nil {
		t.Fatal(err)
	}
	f := fl.Bytes
	// The same random stream, read independently: first the X25519 private
	// key, then the application data.
	src := testRand(11)
	var priv [32]byte
	src.Read(priv[:])
	key, err := ecdh.X25519().NewPrivateKey(priv[:])
	if err != nil {
		t.Fatal(err)
	}
	appData := make([]byte, n)
	src.Read(appData)

	if len(f) != 127+6+5+n {
		t.Fatalf("flight of %d bytes, want %d", len(f), 127+6+5+n)
	}
	fields := []struct {
		name     string
		from, to int
		want     []byte
	}{
		{"record header", 0, 5, []byte{0x16, 0x03, 0x03, 0x00, 0x7a}},
		{"handshake header", 5, 9, []byte{0x02, 0x00, 0x00, 0x76}},
		{"legacy version", 9, 11, []byte{0x03, 0x03}},
		{"session id length", 43, 44, []byte{0x20}},
		{"session id", 44, 76, hello.SessionID},
		{"cipher suite", 76, 78, []byte{0x13, 0x02}},
		{"compression", 78, 79, []byte{0x00}},
		{"extensions length", 79, 81, []byte{0x00, 0x2e}},
		{"key_share head", 81, 89, []byte{0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20}},
		{"key_share key", 89, 121, key.PublicKey().Bytes()},
		{"supported_versions", 121, 127, []byte{0x00, 0x2b, 0x00, 0x02, 0x03, 0x04}},
		{"change cipher spec", 127, 133, []byte{0x14, 0x03, 0x03, 0x00, 0x01, 0x01}},
		{"app data header", 133, 138, []byte{0x17, 0x03, 0x03, n >> 8, n & 0xff}},
		{"app data", 138, 138 + n, appData},
	}
	for _, fl := range fields {
		mustEqual(t, fl.name, f[fl.from:fl.to], fl.want)
	}
	zeroed := bytes.Clone(f)
	clear(zeroed[11:43])
	mustEqual(t, "server_random", f[11:43], refHMAC(testSecret, hello.Random[:], zeroed))
}

func TestServerFlightChoices(t *testing.T) {
	hello := &ClientHello{SessionID: []byte{1, 2, 3}}
	fl, err := ServerFlight(testRand(12), testSecret, hello, legacyProfile(1))
	if err != nil {
		t.Fatal(err)
	}
	f := fl.Bytes
	// A 3-byte session id shortens everything by 29 bytes.
	mustEqual(t, "headers", f[:9], []byte{0x16, 0x03, 0x03, 0x00, 0x7a - 29, 0x02, 0x00, 0x00, 0x76 - 29})
	mustEqual(t, "session id and default suite", f[43:49], []byte{3, 1, 2, 3, 0x13, 0x01})
	for _, n := range []int{0, -1, MaxReadPayload + 1} {
		if _, err := ServerFlight(testRand(12), testSecret, hello, legacyProfile(n)); !errors.Is(err, ErrBadProfile) {
			t.Errorf("record of %d bytes: %v, want ErrBadProfile", n, err)
		}
	}
	if _, err := ServerFlight(testRand(12), testSecret, &ClientHello{SessionID: make([]byte, 33)}, legacyProfile(1)); !errors.Is(err, ErrBadHello) {
		t.Errorf("33-byte session id: %v", err)
	}
	if _, err := ServerFlight(bytes.NewReader(make([]byte, 40)), testSecret, hello, legacyProfile(100)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short random source: %v", err)
	}
}

// The whole handshake as a client sees it: build, read, verify, answer, check.
func TestHandshakeRoundTrip(t *testing.T) {
	raw, random := buildHello(t, 13, HelloOptions{Domain: testDomain, Timestamp: 1234, SplitAt: []int{517}})
	_, record, err := ReadClientHello(bytes.NewReader(raw), make([]byte, HelloBufferSize))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseClientHello(record)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := ServerFlight(testRand(14), testSecret, h, legacyProfile(MaxRecordPayload))
	if err != nil {
		t.Fatal(err)
	}
	f := fl.Bytes
	stream := append(bytes.Clone(f), 0x17, 0x03, 0x03, 0x00, 0x01, 0xff)
	r := bytes.NewReader(stream)
	got, err := ReadServerFlight(r)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "flight", got, f)
	if r.Len() != 6 {
		t.Fatalf("ReadServerFlight left %d bytes, want 6", r.Len())
	}
	if err := VerifyServerFlight(testSecret, random, got); err != nil {
		t.Fatal(err)
	}
	if err := VerifyServerFlight([16]byte{1}, random, got); !errors.Is(err, ErrBadDigest) {
		t.Fatalf("wrong secret: %v", err)
	}
	random[0] ^= 1
	if err := VerifyServerFlight(testSecret, random, got); !errors.Is(err, ErrBadDigest) {
		t.Fatalf("wrong client random: %v", err)
	}
	random[0] ^= 1
	for _, i := range []int{0, 20, 130, len(got) - 1} {
		got[i] ^= 1
		if err := VerifyServerFlight(testSecret, random, got); !errors.Is(err, ErrBadDigest) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
		got[i] ^= 1
	}
}

func TestReadServerFlightRejects(t *testing.T) {
	fl, err := ServerFlight(testRand(15), testSecret, &ClientHello{}, legacyProfile(100))
	if err != nil {
		t.Fatal(err)
	}
	f := fl.Bytes
	ccs := 127 - 32 // the flight of an empty session id has a 95-byte first record
	mod := func(i int, v byte) []byte { b := bytes.Clone(f); b[i] = v; return b }
	cases := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"alert instead", mod(0, 0x15), ErrUnexpectedRecord},
		{"tls 1.0 version", mod(2, 0x01), ErrUnexpectedRecord},
		{"no ccs", mod(ccs, 0x17), ErrUnexpectedRecord},
		{"ccs of two bytes", mod(ccs+4, 0x02), ErrUnexpectedRecord},
		{"handshake as third", mod(ccs+6, 0x16), ErrUnexpectedRecord},
		{"oversized", mod(ccs+6+3, 0x42), ErrRecordTooLarge},
		{"empty", nil, io.EOF},
		{"cut in a record", f[:50], io.ErrUnexpectedEOF},
		{"cut between records", f[:ccs], io.ErrUnexpectedEOF},
		{"cut before the last payload", f[:len(f)-100], io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		if _, err := ReadServerFlight(bytes.NewReader(c.stream)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := VerifyServerFlight(testSecret, [32]byte{}, f[:42]); !errors.Is(err, ErrBadDigest) {
		t.Errorf("short flight: %v", err)
	}
}
