package obfuscated2

import (
	"fmt"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// BenchmarkAccept measures the worst case: the matching secret is last.
func BenchmarkAccept(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			r := seeded(7)
			secrets := make([][16]byte, n)
			for i := range secrets {
				r.Read(secrets[i][:])
			}
			hdr, _, _, err := Generate(r, &secrets[n-1], framing.Intermediate, 2)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Accept(&hdr, secrets); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	r := seeded(8)
	secret := [16]byte{1}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Generate(r, &secret, framing.Padded, 2); err != nil {
			b.Fatal(err)
		}
	}
}
