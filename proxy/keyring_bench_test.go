package proxy

import (
	"crypto/rand"
	"fmt"
	"io"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// The handshake's key search with many users (Options.Users): a returning
// client, whose key the hint names, against a cold one, whose key is the
// last tried. BENCHMARKS.md has the curve.
func BenchmarkKeySearch(b *testing.B) {
	for _, n := range []int{1, 16, 1000, 10000} {
		keys := make([][16]byte, n)
		for i := range keys {
			_, _ = rand.Read(keys[i][:])
		}
		target := n - 1
		hdr, _, _, err := obfuscated2.Generate(rand.Reader, &keys[target], framing.Padded, 2)
		if err != nil {
			b.Fatal(err)
		}
		raw, _, err := faketls.BuildClientHello(rand.Reader, keys[target], faketls.HelloOptions{Domain: "example.com", Timestamp: 1})
		if err != nil {
			b.Fatal(err)
		}
		_, record, err := faketls.ReadClientHello(bytesReader(raw), make([]byte, faketls.HelloBufferSize))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			first int
		}{{"returning", target}, {"cold", -1}} {
			k := keyring{keys: keys, first: c.first}
			b.Run(fmt.Sprintf("obfuscated2/users=%d/%s", n, c.name), func(b *testing.B) {
				for b.Loop() {
					if acc, err := k.accept(&hdr); err != nil || acc.SecretIndex != target {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("faketls/users=%d/%s", n, c.name), func(b *testing.B) {
				for b.Loop() {
					if i, _, err := k.verify(record); err != nil || i != target {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type byteReader struct {
	b []byte
}

func bytesReader(b []byte) *byteReader { return &byteReader{b} }

func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
