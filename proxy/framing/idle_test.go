package framing

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// waitingSource is a stream that can wait for bytes; it records how many
// pooled buffers were out at each wait.
type waitingSource struct {
	r     io.Reader
	bufs  *countingBuffers
	outAt []int
	err   error // WaitReadable's result
}

func (w *waitingSource) Read(p []byte) (int, error) { return w.r.Read(p) }

func (w *waitingSource) WaitReadable() error {
	w.outAt = append(w.outAt, w.bufs.out)
	return w.err
}

// Between packets, a pooled Reader over a source that can wait gives its
// buffer back before it waits: an idle stream holds none.
func TestPooledReaderHoldsNoBufferWhileWaiting(t *testing.T) {
	var wire []byte
	for _, n := range []int{8, 16, 4} {
		wire = append(append(wire, header(n)...), make([]byte, n)...)
	}
	bufs := &countingBuffers{}
	src := &waitingSource{r: bytes.NewReader(wire), bufs: bufs}
	r := NewPooledReader(src, Intermediate, 0, bufs)
	for i := 0; ; i++ {
		_, _, err := r.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	if len(src.outAt) == 0 {
		t.Fatal("the reader never waited")
	}
	for i, out := range src.outAt {
		if out != 0 {
			t.Fatalf("wait %d: %d buffers held while waiting", i, out)
		}
	}
	r.Release()
	if bufs.out != 0 {
		t.Fatalf("%d buffers out after Release", bufs.out)
	}
}

// A source that cannot wait (errors.ErrUnsupported) is asked once; the
// Reader then reads as without a wait. Bytes already buffered are parsed
// without a wait.
func TestPooledReaderWaitUnsupported(t *testing.T) {
	var wire []byte
	for range 3 {
		wire = append(append(wire, header(4)...), 1, 2, 3, 4)
	}
	bufs := &countingBuffers{}
	src := &waitingSource{r: bytes.NewReader(wire), bufs: bufs, err: errors.ErrUnsupported}
	r := NewPooledReader(src, Intermediate, 0, bufs)
	for i := range 3 {
		if pkt, _, err := r.ReadPacket(); err != nil || !bytes.Equal(pkt, []byte{1, 2, 3, 4}) {
			t.Fatalf("packet %d: %x, %v", i, pkt, err)
		}
	}
	if len(src.outAt) != 1 {
		t.Fatalf("%d waits, want 1 (then none once unsupported)", len(src.outAt))
	}
}
