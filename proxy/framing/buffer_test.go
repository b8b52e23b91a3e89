package framing

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

func TestBufferShrinks(t *testing.T) {
	var wire bytes.Buffer
	w := NewWriter(&wire, Intermediate, nil)
	big := make([]byte, 256<<10)
	if err := w.WritePacket(big, false); err != nil {
		t.Fatal(err)
	}
	if cap(w.buf) < len(big) {
		t.Fatalf("writer buffer %d after a big packet", cap(w.buf))
	}
	for range shrinkAfter {
		if err := w.WritePacket(make([]byte, 100), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WritePacket(make([]byte, 100), false); err != nil {
		t.Fatal(err)
	}
	if cap(w.buf) != baseBufSize {
		t.Fatalf("writer buffer %d after small packets, want %d", cap(w.buf), baseBufSize)
	}

	r := NewReader(iotest.HalfReader(&wire), Intermediate, 0)
	if p, _, err := r.ReadPacket(); err != nil || len(p) != len(big) {
		t.Fatalf("big packet: %d, %v", len(p), err)
	}
	if len(r.buf) < len(big) {
		t.Fatalf("reader buffer %d after a big packet", len(r.buf))
	}
	for i := range shrinkAfter + 1 {
		if p, _, err := r.ReadPacket(); err != nil || len(p) != 100 {
			t.Fatalf("small packet %d: %d, %v", i, len(p), err)
		}
	}
	if len(r.buf) != baseBufSize {
		t.Fatalf("reader buffer %d after small packets, want %d", len(r.buf), baseBufSize)
	}
	if _, _, err := r.ReadPacket(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

// loopReader serves data cyclically, forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func encodeStream(t testing.TB, tr Transport, size, count int) []byte {
	var wire bytes.Buffer
	w := NewWriter(&wire, tr, testRand(3))
	p := make([]byte, size)
	for range count {
		if err := w.WritePacket(p, false); err != nil {
			t.Fatal(err)
		}
	}
	return wire.Bytes()
}

func TestReadPacketDoesNotAllocate(t *testing.T) {
	for _, tr := range allTransports {
		for _, size := range []int{1 << 10, 64 << 10} {
			r := NewReader(&loopReader{data: encodeStream(t, tr, size, 8)}, tr, 0)
			for range 4 { // warm up: grow the buffer once
				if _, _, err := r.ReadPacket(); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(200, func() {
				if _, _, err := r.ReadPacket(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v %d-byte packets: %v allocs per ReadPacket", tr, size, allocs)
			}
		}
	}
}
