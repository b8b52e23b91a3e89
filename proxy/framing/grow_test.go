package framing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// countingBuffers lends plain buffers and records the sizes asked for and
// how many are out.
type countingBuffers struct {
	asked []int
	out   int
	fail  error
}

func (c *countingBuffers) Get(n int) (*[]byte, error) {
	if c.fail != nil {
		return nil, c.fail
	}
	c.asked = append(c.asked, n)
	c.out++
	b := make([]byte, n)
	return &b, nil
}

func (c *countingBuffers) Put(*[]byte) { c.out-- }

func header(n int) []byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	return b[:]
}

// A header announcing the largest packet, followed by a few bytes: the
// buffer is sized for what arrived, not for the announcement (it was
// allocated whole at once).
func TestBufferGrowsWithData(t *testing.T) {
	wire := append(header(MaxPacketSize), make([]byte, 100)...)
	r := NewReader(bytes.NewReader(wire), Intermediate, 0)
	if _, _, err := r.ReadPacket(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated packet: %v", err)
	}
	if len(r.buf) > baseBufSize {
		t.Fatalf("reader buffer %d for 104 bytes received, want at most %d", len(r.buf), baseBufSize)
	}

	bufs := &countingBuffers{}
	pr := NewPooledReader(bytes.NewReader(wire), Intermediate, 0, bufs)
	if _, _, err := pr.ReadPacket(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated packet: %v", err)
	}
	if len(bufs.asked) != 1 || bufs.asked[0] != PooledBase {
		t.Fatalf("pooled reader asked for %v, want one buffer of %d", bufs.asked, PooledBase)
	}
}

// The buffer at most doubles per step, up to the packet: a big packet
// arriving in small pieces reaches its size with few copies and never
// more than twice what arrived.
func TestPooledReaderGrowth(t *testing.T) {
	const size = 300 << 10
	var wire bytes.Buffer
	w := NewWriter(&wire, Intermediate, nil)
	pkts := [][]byte{bytes.Repeat([]byte{7}, size), {1, 2, 3, 4}, bytes.Repeat([]byte{9}, 4096)}
	for _, p := range pkts {
		if err := w.WritePacket(p, false); err != nil {
			t.Fatal(err)
		}
	}
	bufs := &countingBuffers{}
	r := NewPooledReader(iotest.HalfReader(&wire), Intermediate, 0, bufs)
	for i, want := range pkts {
		p, _, err := r.ReadPacket()
		if err != nil || !bytes.Equal(p, want) {
			t.Fatalf("packet %d: %d bytes, %v", i, len(p), err)
		}
	}
	prev := 0
	for _, n := range bufs.asked {
		if n > size+4 || (prev >= PooledBase && n > 2*prev && n > PooledBase) {
			t.Fatalf("buffer sizes asked %v: a step more than doubles or passes the packet", bufs.asked)
		}
		prev = n
	}
	if bufs.out != 1 {
		t.Fatalf("%d buffers out while reading, want 1", bufs.out)
	}
	if _, _, err := r.ReadPacket(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	r.Release()
	if bufs.out != 0 {
		t.Fatalf("%d buffers out after Release", bufs.out)
	}
}

// A refusal to lend is the Reader's (sticky) error.
func TestPooledReaderRefused(t *testing.T) {
	refused := errors.New("over budget")
	r := NewPooledReader(bytes.NewReader(header(8)), Intermediate, 0, &countingBuffers{fail: refused})
	for range 2 {
		if _, _, err := r.ReadPacket(); !errors.Is(err, refused) {
			t.Fatalf("err %v, want the refusal", err)
		}
	}
}

// A pooled Reader starts each packet after a large one with a buffer of
// twice that packet's size: a stream of 16 KiB packets costs one borrow
// per packet, not a growth from PooledBase in doubling steps each time.
func TestPooledReaderHint(t *testing.T) {
	const size, n = 16 << 10, 8
	var wire bytes.Buffer
	w := NewWriter(&wire, Intermediate, nil)
	for i := range n {
		if err := w.WritePacket(bytes.Repeat([]byte{byte(i)}, size), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WritePacket([]byte{1, 2, 3, 4}, false); err != nil {
		t.Fatal(err)
	}
	bufs := &countingBuffers{}
	r := NewPooledReader(onePacketReader{&wire, size + 4}, Intermediate, 0, bufs)
	for i := range n {
		p, _, err := r.ReadPacket()
		if err != nil || len(p) != size || p[0] != byte(i) {
			t.Fatalf("packet %d: %d bytes, %v", i, len(p), err)
		}
		if i == 0 {
			bufs.asked = nil // the first packet grows from PooledBase
			continue
		}
	}
	if len(bufs.asked) != n-1 {
		t.Fatalf("buffers asked after the first packet %v, want one per packet", bufs.asked)
	}
	for _, a := range bufs.asked {
		if a != 2*(size+4) {
			t.Fatalf("buffers asked %v, want %d each", bufs.asked, 2*(size+4))
		}
	}
	if p, _, err := r.ReadPacket(); err != nil || len(p) != 4 {
		t.Fatalf("small packet: %d bytes, %v", len(p), err)
	}
	bufs.asked = nil
	if _, _, err := r.ReadPacket(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if len(bufs.asked) > 1 || (len(bufs.asked) == 1 && bufs.asked[0] > PooledBase) {
		t.Fatalf("after a small packet asked %v, want at most one of %d", bufs.asked, PooledBase)
	}
}

// onePacketReader returns at most max bytes per Read, as a socket that
// holds one packet at a time.
type onePacketReader struct {
	r   io.Reader
	max int
}

func (o onePacketReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), o.max)]) }

// PacketBuffered is true exactly when the next packet is whole in the
// buffer: after a read that brought the rest of the first packet, the
// second and part of the third, it is true before the second and false
// before the third.
func TestPacketBuffered(t *testing.T) {
	var wire bytes.Buffer
	w := NewWriter(&wire, Padded, nil)
	for i := range 3 {
		if err := w.WritePacket(bytes.Repeat([]byte{byte(i)}, 400), false); err != nil {
			t.Fatal(err)
		}
	}
	// The first read ends inside the first packet and the second inside
	// the third: padding is random, so no cut but these two is sure to
	// fall between packets.
	all := wire.Bytes()
	r := NewReader(&chunks{parts: [][]byte{all[:10], all[10 : len(all)-10], all[len(all)-10:]}}, Padded, 0)
	if r.PacketBuffered() {
		t.Fatal("a packet buffered before any read")
	}
	want := []bool{true, false, false}
	for i := range 3 {
		if _, _, err := r.ReadPacket(); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if got := r.PacketBuffered(); got != want[i] {
			t.Fatalf("after packet %d: PacketBuffered %v, want %v", i, got, want[i])
		}
	}
}

// chunks returns its parts one per Read.
type chunks struct{ parts [][]byte }

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	if c.parts[0] = c.parts[0][n:]; len(c.parts[0]) == 0 {
		c.parts = c.parts[1:]
	}
	return n, nil
}
