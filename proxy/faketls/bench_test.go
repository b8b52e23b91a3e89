package faketls

import (
	"testing"
)

// BenchmarkUnwrap strips full records arriving in 16 KiB socket reads; each
// iteration restores the input, which the unwrapping overwrote.
func BenchmarkUnwrap(b *testing.B) {
	var stream []byte
	for range 16 {
		stream = append(stream, appRecord(randBytes(1, MaxRecordPayload))...)
	}
	buf := make([]byte, len(stream))
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, stream)
		var u Unwrapper
		for i := 0; i < len(buf); i += 16384 {
			if _, err := u.Unwrap(buf[i:min(len(buf), i+16384)]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchmarkVerify(b *testing.B, match bool) {
	hello, _ := buildHello(b, 1, HelloOptions{Domain: testDomain})
	secrets := make([][16]byte, 16)
	for i := range secrets {
		secrets[i][0] = byte(i + 100)
	}
	if match {
		secrets[15] = testSecret // the worst case: the last one
	}
	b.SetBytes(int64(len(hello)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Verify(hello, secrets); (err == nil) != match {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify16Secrets(b *testing.B)        { benchmarkVerify(b, true) }
func BenchmarkVerify16SecretsNoMatch(b *testing.B) { benchmarkVerify(b, false) }

func BenchmarkServerFlight(b *testing.B) {
	h := &ClientHello{SessionID: make([]byte, 32), CipherSuite: 0x1301}
	benchmarkServerFlight(b, h, legacyProfile(2500))
}

// The shape a modern client gets from a modern origin: an X25519MLKEM768
// share, noise, the origin's extension order.
func BenchmarkServerFlightMLKEM(b *testing.B) {
	raw, _ := buildHello(b, 1, HelloOptions{Domain: testDomain})
	h, err := ParseClientHello(joinRecords(b, raw))
	if err != nil {
		b.Fatal(err)
	}
	p, err := FallbackProfile(testRand(2))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkServerFlight(b, h, &p)
}

func benchmarkServerFlight(b *testing.B, h *ClientHello, p *ServerProfile) {
	r := testRand(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ServerFlight(r, testSecret, h, p); err != nil {
			b.Fatal(err)
		}
	}
}
