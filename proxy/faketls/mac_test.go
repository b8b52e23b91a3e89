package faketls

import (
	"bytes"
	"testing"
)

func TestMACMatchesCryptoHMAC(t *testing.T) {
	r := testRand(1)
	m := newMAC()
	for i := range 200 {
		var key [16]byte
		r.Read(key[:])
		a := make([]byte, i*7%300)
		b := make([]byte, i*13%5000)
		r.Read(a)
		r.Read(b)
		m.reset(&key)
		m.write(a)
		m.write(b)
		if got, want := m.finish()[:], refHMAC(key, a, b); !bytes.Equal(got, want) {
			t.Fatalf("case %d: mac %x, crypto/hmac %x", i, got, want)
		}
	}
}

func TestMACWriteZeroed(t *testing.T) {
	rec := make([]byte, 100)
	testRand(2).Read(rec)
	zeroed := bytes.Clone(rec)
	clear(zeroed[11:43])
	m := newMAC()
	m.reset(&testSecret)
	m.writeZeroed(rec)
	mustEqual(t, "mac over zeroed random", m.finish()[:], refHMAC(testSecret, zeroed))
}
