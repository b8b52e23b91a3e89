package obfuscated2

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// FuzzAccept feeds arbitrary headers and secrets. Whenever Accept succeeds,
// an independent decryption (crypto primitives, not package code) must show
// the reported tag and DC id.
func FuzzAccept(f *testing.F) {
	r := seeded(42)
	for i, tr := range transports {
		secret := [16]byte{byte(i), 0x5e}
		hdr, _, _, err := Generate(r, &secret, tr, int16(-i))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(hdr[:], secret[:], []byte{1, 2})
		f.Add(hdr[:], []byte{9}, secret[:])
	}
	f.Add(make([]byte, HeaderLen), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, raw, s1, s2 []byte) {
		if len(raw) < HeaderLen {
			return
		}
		hdr := [HeaderLen]byte(raw)
		secrets := [][16]byte{[16]byte(pad16(s1)), [16]byte(pad16(s2))}
		a, err := Accept(&hdr, secrets)
		if err != nil {
			return
		}
		if a.SecretIndex < 0 || a.SecretIndex >= len(secrets) || !a.Transport.Valid() {
			t.Fatalf("bad result %+v", a)
		}
		secret := secrets[a.SecretIndex]
		key := sha256.Sum256(append(append([]byte{}, hdr[8:40]...), secret[:]...))
		block, err := aes.NewCipher(key[:])
		if err != nil {
			t.Fatal(err)
		}
		var plain [HeaderLen]byte
		cipher.NewCTR(block, hdr[40:56]).XORKeyStream(plain[:], hdr[:])
		tr, ok := framing.TransportFromTag([4]byte(plain[56:60]))
		if !ok || tr != a.Transport {
			t.Fatalf("independent tag %x, Accept said %v", plain[56:60], a.Transport)
		}
		if dc := int16(uint16(plain[60]) | uint16(plain[61])<<8); dc != a.DC {
			t.Fatalf("independent dc %d, Accept said %d", dc, a.DC)
		}
	})
}

func pad16(b []byte) []byte {
	out := make([]byte, 16)
	copy(out, b)
	return out
}
