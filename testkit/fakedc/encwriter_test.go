package fakedc

import (
	"crypto/aes"
	"crypto/cipher"
	"net"
	"testing"
)

// writeCounter is a net.Conn that counts and sizes its writes.
type writeCounter struct {
	net.Conn
	sizes []int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return len(p), nil
}

// A packet goes out in one write, as a server writes a packet it has
// assembled, up to encChunk; a larger one in encChunk pieces.
func TestEncWriterOneWritePerPacket(t *testing.T) {
	block, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	nc := &writeCounter{}
	w := &encWriter{c: &conn{nc: nc}, s: cipher.NewCTR(block, make([]byte, 16)), st: &counters{}}
	for _, n := range []int{16<<10 + 7, 100, encChunk + 1} {
		nc.sizes = nil
		if m, err := w.Write(make([]byte, n)); m != n || err != nil {
			t.Fatalf("write of %d: %d, %v", n, m, err)
		}
		want := []int{n}
		if n > encChunk {
			want = []int{encChunk, n - encChunk}
		}
		if len(nc.sizes) != len(want) || nc.sizes[0] != want[0] || nc.sizes[len(want)-1] != want[len(want)-1] {
			t.Fatalf("a write of %d bytes went out as %v, want %v", n, nc.sizes, want)
		}
	}
}
