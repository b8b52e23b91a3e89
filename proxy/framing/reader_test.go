package framing

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

var allTransports = []Transport{Abridged, Intermediate, Padded}

func testRand(seed byte) *rand.ChaCha8 { return rand.NewChaCha8([32]byte{seed, 'f', 'r'}) }

// boundarySizes are payload sizes around the abridged short/long switch,
// the reader's base buffer and large packets.
var boundarySizes = []int{
	4, 8, 0x7e * 4, 0x7f * 4, 0x80 * 4,
	baseBufSize - 8, baseBufSize - 4, baseBufSize, baseBufSize + 4,
	64 << 10, 512 << 10, MaxPacketSize,
}

func payload(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

type chunking struct {
	name string
	wrap func(io.Reader) io.Reader
}

var chunkings = []chunking{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"onebyte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"dataerr", iotest.DataErrReader},
}

func TestRoundTrip(t *testing.T) {
	rnd := testRand(1)
	for _, tr := range allTransports {
		var wire bytes.Buffer
		w := NewWriter(&wire, tr, testRand(2))
		var sent [][]byte
		for i, n := range boundarySizes {
			p := payload(rnd, n)
			if err := w.WritePacket(p, i%3 == 1); err != nil {
				t.Fatalf("%v: write %d: %v", tr, n, err)
			}
			sent = append(sent, p)
		}
		for _, c := range chunkings {
			if c.name == "onebyte" && testing.Short() {
				continue
			}
			r := NewReader(c.wrap(bytes.NewReader(wire.Bytes())), tr, 0)
			for i, want := range sent {
				got, q, err := r.ReadPacket()
				if err != nil {
					t.Fatalf("%v/%s: packet %d: %v", tr, c.name, i, err)
				}
				if !bytes.Equal(got, want) || q != (i%3 == 1) {
					t.Fatalf("%v/%s: packet %d: %d bytes quickAck %v, want %d bytes %v",
						tr, c.name, i, len(got), q, len(want), i%3 == 1)
				}
			}
			if _, _, err := r.ReadPacket(); err != io.EOF {
				t.Fatalf("%v/%s: after last packet: %v, want io.EOF", tr, c.name, err)
			}
		}
	}
}

// TestPaddedTolerance feeds tails of 0..15 bytes (TDLib pads up to 15);
// the reader returns len&^3 bytes, i.e. the payload plus any whole words
// of padding, which MTProto ignores.
func TestPaddedTolerance(t *testing.T) {
	msg := []byte("0123456789abcdef")
	var wire []byte
	for tail := range 16 {
		wire = AppendHeader(wire, Padded, len(msg)+tail, tail == 5)
		wire = append(wire, msg...)
		wire = append(wire, bytes.Repeat([]byte{0xee}, tail)...)
	}
	r := NewReader(bytes.NewReader(wire), Padded, 0)
	for tail := range 16 {
		got, q, err := r.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != (len(msg)+tail)&^3 || !bytes.Equal(got[:len(msg)], msg) || q != (tail == 5) {
			t.Fatalf("tail %d: got %d bytes %x quickAck %v", tail, len(got), got, q)
		}
	}
}

func TestReaderTruncated(t *testing.T) {
	for _, tr := range allTransports {
		var wire bytes.Buffer
		if err := NewWriter(&wire, tr, nil).WritePacket(make([]byte, 0x80*4), false); err != nil {
			t.Fatal(err)
		}
		full := wire.Bytes()
		for _, cut := range []int{1, 2, 3, 4, 5, len(full) - 4, len(full) - 1} {
			if tr != Abridged && cut < 4 && cut != 1 {
				continue
			}
			r := NewReader(bytes.NewReader(full[:cut]), tr, 0)
			if _, _, err := r.ReadPacket(); err != io.ErrUnexpectedEOF {
				t.Errorf("%v cut at %d: %v, want io.ErrUnexpectedEOF", tr, cut, err)
			}
			if _, _, err := r.ReadPacket(); err != io.ErrUnexpectedEOF {
				t.Errorf("%v cut at %d: error not sticky: %v", tr, cut, err)
			}
		}
		if _, _, err := NewReader(bytes.NewReader(nil), tr, 0).ReadPacket(); err != io.EOF {
			t.Errorf("%v empty stream: %v, want io.EOF", tr, err)
		}
	}
}

func TestReaderLimits(t *testing.T) {
	for _, tr := range allTransports {
		var wire bytes.Buffer
		w := NewWriter(&wire, tr, nil)
		for _, n := range []int{1024, 1028} {
			if err := w.WritePacket(make([]byte, n), false); err != nil {
				t.Fatal(err)
			}
		}
		r := NewReader(&wire, tr, 1024)
		if p, _, err := r.ReadPacket(); err != nil || len(p) != 1024 {
			t.Fatalf("%v: packet at the limit: %d, %v", tr, len(p), err)
		}
		if _, _, err := r.ReadPacket(); !errors.Is(err, ErrPacketTooLarge) {
			t.Fatalf("%v: over the limit: %v", tr, err)
		}
		if _, _, err := r.ReadPacket(); !errors.Is(err, ErrPacketTooLarge) {
			t.Fatalf("%v: error not sticky: %v", tr, err)
		}
	}
	// The default limit is MaxPacketSize.
	huge := AppendHeader(nil, Intermediate, MaxPacketSize+4, false)
	if _, _, err := NewReader(bytes.NewReader(huge), Intermediate, 0).ReadPacket(); !errors.Is(err, ErrPacketTooLarge) {
		t.Fatalf("default limit: %v", err)
	}
}

func TestReaderBadLengths(t *testing.T) {
	cases := []struct {
		t    Transport
		wire []byte
	}{
		{Abridged, []byte{0}},
		{Abridged, []byte{0x7f, 0, 0, 0}},
		{Intermediate, []byte{0, 0, 0, 0}},
		{Intermediate, []byte{6, 0, 0, 0, 1, 2, 3, 4, 5, 6}},
		{Intermediate, []byte{1, 0, 0, 0x80, 1}},
		{Padded, []byte{0, 0, 0, 0}},
		{Padded, []byte{3, 0, 0, 0, 1, 2, 3}},
	}
	for _, c := range cases {
		if _, _, err := NewReader(bytes.NewReader(c.wire), c.t, 0).ReadPacket(); !errors.Is(err, ErrBadLength) {
			t.Errorf("%v %x: %v, want ErrBadLength", c.t, c.wire, err)
		}
	}
	if _, _, err := NewReader(bytes.NewReader([]byte{4, 0, 0, 0}), 0, 0).ReadPacket(); !errors.Is(err, ErrBadTransport) {
		t.Errorf("invalid transport: %v", err)
	}
}

func TestReaderSourceErrors(t *testing.T) {
	boom := errors.New("boom")
	// Data returned together with an error is used before the error.
	src := io.MultiReader(bytes.NewReader([]byte{1, 'a', 'b', 'c', 'd', 1}), iotest.ErrReader(boom))
	r := NewReader(src, Abridged, 0)
	if p, _, err := r.ReadPacket(); err != nil || string(p) != "abcd" {
		t.Fatalf("first packet: %q, %v", p, err)
	}
	if _, _, err := r.ReadPacket(); err != boom {
		t.Fatalf("second packet: %v, want boom", err)
	}
	if _, _, err := NewReader(emptyReader{}, Abridged, 0).ReadPacket(); err != io.ErrNoProgress {
		t.Fatalf("empty reads: %v, want io.ErrNoProgress", err)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestResponseReaderQuickAcks(t *testing.T) {
	const token = 0x9a3b5c7d
	for _, tr := range allTransports {
		var wire bytes.Buffer
		w := NewWriter(&wire, tr, nil)
		pkt := bytes.Repeat([]byte("resp"), 0x90)
		steps := []func() error{
			func() error { return w.WriteQuickAck(token) },
			func() error { return w.WritePacket(pkt, false) },
			func() error { return w.WriteQuickAck(token + 1) },
			func() error { return w.WriteQuickAck(token + 2) },
			func() error { return w.WritePacket(pkt[:8], false) },
		}
		for _, s := range steps {
			if err := s(); err != nil {
				t.Fatal(err)
			}
		}
		r := NewResponseReader(iotest.OneByteReader(&wire), tr, 0)
		expect := []struct {
			tok uint32
			n   int
		}{{token, 0}, {0, len(pkt)}, {token + 1, 0}, {token + 2, 0}, {0, 8}}
		for i, e := range expect {
			p, q, err := r.ReadPacket()
			if err != nil {
				t.Fatalf("%v step %d: %v", tr, i, err)
			}
			if e.tok != 0 {
				if !q || len(p) != 4 || uint32(p[0])|uint32(p[1])<<8|uint32(p[2])<<16|uint32(p[3])<<24 != e.tok {
					t.Fatalf("%v step %d: got %x quickAck %v, want token %x", tr, i, p, q, e.tok)
				}
			} else if q || len(p) != e.n {
				t.Fatalf("%v step %d: got %d bytes quickAck %v", tr, i, len(p), q)
			}
		}
	}
}
