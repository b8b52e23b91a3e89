package faketls

import (
	"bytes"
	"errors"
	mrand "math/rand/v2"
	"testing"
)

func FuzzClientHello(f *testing.F) {
	for i, o := range []HelloOptions{
		{Domain: testDomain},
		{Domain: testDomain, SplitAt: []int{3, 200}},
		{PadTo: 2500, SplitAt: []int{1000}},
	} {
		hello, _ := buildHello(f, byte(i), o)
		f.Add(hello, uint16(HelloBufferSize))
		f.Add(hello, uint16(len(hello)))
		f.Add(hello[:len(hello)/2], uint16(HelloBufferSize))
	}
	f.Add(handHello("a.b", []byte{1}, []uint16{0x0a0a, 0x1302}), uint16(600))
	f.Add([]byte("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"), uint16(100))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), uint16(100))

	secrets := [][16]byte{{1}, testSecret}
	f.Fuzz(func(t *testing.T, data []byte, capacity uint16) {
		buf := make([]byte, min(int(capacity), HelloBufferSize))
		raw, record, err := ReadClientHello(bytes.NewReader(data), buf)
		if !bytes.HasPrefix(data, raw) || len(raw) > len(buf) {
			t.Fatalf("raw (%d bytes) is not what was read", len(raw))
		}
		if err == nil {
			if want := joinRecords(t, raw); !bytes.Equal(record, want) {
				t.Fatalf("record %x, want %x", record, want)
			}
			if len(record) > RecordHeaderLen+MaxHelloSize {
				t.Fatalf("accepted a %d-byte record", len(record))
			}
			checkParsed(t, record, secrets)
		} else if record != nil {
			t.Fatal("record returned with an error")
		}
		checkParsed(t, data, secrets)
	})
}

// checkParsed parses rec and, when it parses, checks what was parsed and
// drives the rest of the handshake with it.
func checkParsed(t *testing.T, rec []byte, secrets [][16]byte) {
	h, err := ParseClientHello(rec)
	if err != nil {
		if !errors.Is(err, ErrBadHello) {
			t.Fatalf("parse error %v is not ErrBadHello", err)
		}
		return
	}
	if !bytes.Equal(h.Random[:], rec[11:43]) || len(h.SessionID) > 32 || !bytes.Equal(h.SessionID, rec[44:44+len(h.SessionID)]) {
		t.Fatalf("parsed fields do not match the record")
	}
	if h.CipherSuite != 0 && (h.CipherSuite < 0x1301 || h.CipherSuite > 0x1303) {
		t.Fatalf("cipher suite %#x", h.CipherSuite)
	}
	if _, _, err := Verify(rec, secrets); err != nil && !errors.Is(err, ErrBadDigest) {
		t.Fatalf("Verify: %v", err)
	}
	fb, _ := FallbackProfile(testRand(0))
	f, err := ServerFlight(testRand(0), secrets[0], h, &fb)
	if err != nil {
		t.Fatalf("ServerFlight: %v", err)
	}
	if err := VerifyServerFlight(secrets[0], h.Random, f.Bytes); err != nil {
		t.Fatalf("VerifyServerFlight: %v", err)
	}
}

func FuzzUnwrap(f *testing.F) {
	f.Add(testStream(200), uint64(1))
	f.Add(testStream(3000), uint64(2))
	f.Add(append(appRecord([]byte("ab")), 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28), uint64(3))
	f.Add([]byte{0x14, 0x03, 0x03, 0x00, 0x01, 0x02}, uint64(4))
	f.Add([]byte{0x17, 0x03, 0x03, 0x41, 0x01}, uint64(5))
	f.Fuzz(func(t *testing.T, stream []byte, seed uint64) {
		want, wantErr := refUnwrap(stream)
		rng := mrand.New(mrand.NewPCG(seed, seed>>7))
		var cuts []int
		for at := 0; at < len(stream); {
			at += rng.IntN(min(len(stream), 40) + 1)
			cuts = append(cuts, min(at, len(stream)))
		}
		got, _, err := unwrapChunks(stream, cuts...)
		if !bytes.Equal(got, want) {
			t.Fatalf("cuts %v: payload\n got %x\nwant %x", cuts, got, want)
		}
		switch {
		case wantErr == nil && err != nil, wantErr != nil && !errors.Is(err, wantErr):
			t.Fatalf("cuts %v: error %v, want %v", cuts, err, wantErr)
		}
	})
}

func FuzzServerHello(f *testing.F) {
	h := &ClientHello{SessionID: make([]byte, 32)}
	h.shares = shareX25519 | shareX25519MLKEM768
	fb, _ := FallbackProfile(testRand(1))
	for _, p := range []*ServerProfile{legacyProfile(100), &fb} {
		fl, err := ServerFlight(testRand(2), testSecret, h, p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fl.Bytes[:RecordHeaderLen+recordLen(fl.Bytes)])
	}
	f.Add([]byte("\x16\x03\x03\x00\x04\x02\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, rec []byte) {
		sh, err := ParseServerHello(rec)
		if err != nil {
			if !errors.Is(err, ErrBadServerHello) {
				t.Fatalf("parse error %v is not ErrBadServerHello", err)
			}
			return
		}
		if !bytes.Equal(sh.Random[:], rec[11:43]) || sh.SessionIDLen > 32 {
			t.Fatalf("parsed fields do not match the record")
		}
		for i, e := range sh.Extensions {
			if !bytes.Contains(rec, e.Data) {
				t.Fatalf("extension %d data not in the record", i)
			}
		}
	})
}
