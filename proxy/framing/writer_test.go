package framing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// recorder keeps every Write call separately.
type recorder struct{ writes [][]byte }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func TestWriterOneWritePerPacket(t *testing.T) {
	for _, tr := range allTransports {
		rec := &recorder{}
		w := NewWriter(rec, tr, testRand(4))
		sizes := []int{4, 0x7f * 4, 64 << 10}
		for _, n := range sizes {
			if err := w.WritePacket(bytes.Repeat([]byte{7}, n), true); err != nil {
				t.Fatal(err)
			}
		}
		if len(rec.writes) != len(sizes) {
			t.Fatalf("%v: %d writes for %d packets", tr, len(rec.writes), len(sizes))
		}
		for i, wr := range rec.writes {
			n, hl, q, err := ParseHeader(tr, wr)
			if err != nil || !q || hl+n != len(wr) {
				t.Fatalf("%v write %d: header %d+%d, %v, %v; write is %d bytes", tr, i, hl, n, q, err, len(wr))
			}
			if !bytes.Equal(wr[hl:hl+sizes[i]], bytes.Repeat([]byte{7}, sizes[i])) {
				t.Fatalf("%v write %d: payload mangled", tr, i)
			}
		}
	}
}

// TestPaddedTailTelethonCompatible checks that every padded frame can be
// read the way Telethon's RandomizedIntermediatePacketCodec does (strip
// len%4 bytes), and that all four tail lengths occur.
func TestPaddedTailTelethonCompatible(t *testing.T) {
	rec := &recorder{}
	w := NewWriter(rec, Padded, testRand(5))
	msg := []byte("abcdefgh")
	seen := map[int]int{}
	for range 400 {
		if err := w.WritePacket(msg, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, wr := range rec.writes {
		length := int(binary.LittleEndian.Uint32(wr))
		if length != len(wr)-4 {
			t.Fatalf("length field %d for %d bytes", length, len(wr)-4)
		}
		body := wr[4:]
		body = body[:len(body)-length%4]
		if !bytes.Equal(body, msg) {
			t.Fatalf("telethon-style strip gives %x", body)
		}
		seen[length-len(msg)]++
	}
	for tail := range 4 {
		if seen[tail] == 0 {
			t.Errorf("tail length %d never used: %v", tail, seen)
		}
	}
	if len(seen) != 4 {
		t.Errorf("unexpected tail lengths: %v", seen)
	}
}

func TestWriterRejects(t *testing.T) {
	var sink bytes.Buffer
	cases := []struct {
		t    Transport
		n    int
		want error
	}{
		{Abridged, 0, ErrBadLength},
		{Abridged, 6, ErrBadLength},
		{Intermediate, 0, ErrBadLength},
		{Intermediate, 5, ErrBadLength},
		{Padded, 0, ErrBadLength},
		{Padded, 7, ErrBadLength},
		{Abridged, MaxPacketSize + 4, ErrPacketTooLarge},
		{Intermediate, MaxPacketSize + 4, ErrPacketTooLarge},
		{Padded, MaxPacketSize + 4, ErrPacketTooLarge},
		{0, 4, ErrBadTransport},
	}
	for _, c := range cases {
		w := NewWriter(&sink, c.t, nil)
		if err := w.WritePacket(make([]byte, c.n), false); !errors.Is(err, c.want) {
			t.Errorf("%v %d bytes: %v, want %v", c.t, c.n, err, c.want)
		}
	}
	if err := NewWriter(&sink, 0, nil).WriteQuickAck(1); !errors.Is(err, ErrBadTransport) {
		t.Errorf("quick ack with invalid transport: %v", err)
	}
	if sink.Len() != 0 {
		t.Errorf("rejected packets wrote %d bytes", sink.Len())
	}
	// Validation errors are not sticky: the stream is intact.
	w := NewWriter(&sink, Intermediate, nil)
	if err := w.WritePacket(make([]byte, 3), false); !errors.Is(err, ErrBadLength) {
		t.Fatal(err)
	}
	if err := w.WritePacket(make([]byte, 4), false); err != nil {
		t.Fatalf("after a rejected packet: %v", err)
	}
}

func TestWriterErrors(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(failWriter{boom}, Intermediate, nil)
	if err := w.WritePacket(make([]byte, 4), false); err != boom {
		t.Fatalf("first write: %v", err)
	}
	if err := w.WriteQuickAck(1); err != boom {
		t.Fatalf("write error not sticky: %v", err)
	}
	if err := NewWriter(shortWriter{}, Abridged, nil).WritePacket(make([]byte, 8), false); err != io.ErrShortWrite {
		t.Fatalf("short write: %v", err)
	}
	var sink bytes.Buffer
	if err := NewWriter(&sink, Padded, iotest.ErrReader(boom)).WritePacket(make([]byte, 8), false); !errors.Is(err, boom) {
		t.Fatalf("rand failure: %v", err)
	}
	if sink.Len() != 0 {
		t.Fatal("wrote despite the rand failure")
	}
}

func TestWriteQuickAckBytes(t *testing.T) {
	want := map[Transport][]byte{
		Abridged:     {0x81, 0x02, 0x03, 0x04},
		Intermediate: {0x04, 0x03, 0x02, 0x81},
		Padded:       {0x04, 0x03, 0x02, 0x81},
	}
	for tr, w := range want {
		rec := &recorder{}
		if err := NewWriter(rec, tr, nil).WriteQuickAck(0x81020304); err != nil {
			t.Fatal(err)
		}
		if len(rec.writes) != 1 || !bytes.Equal(rec.writes[0], w) {
			t.Errorf("%v: wrote %x, want %x", tr, rec.writes, w)
		}
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }
