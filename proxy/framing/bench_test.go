package framing

import (
	"fmt"
	"io"
	"testing"
)

func BenchmarkReader(b *testing.B) {
	for _, tr := range allTransports {
		for _, size := range []int{1 << 10, 64 << 10} {
			b.Run(fmt.Sprintf("%v/%dKiB", tr, size>>10), func(b *testing.B) {
				r := NewReader(&loopReader{data: encodeStream(b, tr, size, 16)}, tr, 0)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := r.ReadPacket(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	for _, tr := range allTransports {
		for _, size := range []int{1 << 10, 64 << 10} {
			b.Run(fmt.Sprintf("%v/%dKiB", tr, size>>10), func(b *testing.B) {
				w := NewWriter(io.Discard, tr, testRand(7))
				p := make([]byte, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if err := w.WritePacket(p, false); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
