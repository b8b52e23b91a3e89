package framing

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func FuzzParseHeader(f *testing.F) {
	for _, v := range headerVectors {
		f.Add(byte(v.t), AppendHeader(nil, v.t, v.length, v.quickAck))
	}
	f.Add(byte(Abridged), []byte{0x7f, 1, 0, 0})
	f.Add(byte(Padded), []byte{3, 0, 0, 0x80})
	f.Fuzz(func(t *testing.T, tb byte, b []byte) {
		tr := Transport(tb % 4)
		n, hl, q, err := ParseHeader(tr, b)
		if err != nil {
			if errors.Is(err, ErrShortHeader) && len(b) >= maxHeaderLen {
				t.Fatalf("short header with %d bytes", len(b))
			}
			return
		}
		if !tr.Valid() || hl > len(b) || (hl != 1 && hl != 4) || n <= 0 {
			t.Fatalf("%v %x: length %d header %d", tr, b, n, hl)
		}
		payload := n
		if tr == Padded {
			payload &^= 3
		}
		if payload%4 != 0 || payload == 0 || payload > MaxPacketSize {
			t.Fatalf("%v %x: payload %d", tr, b, payload)
		}
		re := AppendHeader(nil, tr, n, q)
		n2, hl2, q2, err := ParseHeader(tr, re)
		if err != nil || n2 != n || hl2 != len(re) || q2 != q {
			t.Fatalf("%v: re-encoded %x parses as %d %d %v %v", tr, re, n2, hl2, q2, err)
		}
		canonical := tr != Abridged || hl == 1 || n/4 >= abridgedLong
		if canonical && !bytes.Equal(re, b[:hl]) {
			t.Fatalf("%v: %x re-encodes as %x", tr, b[:hl], re)
		}
	})
}

// FuzzReadPacket reads arbitrary streams whole and one byte at a time; the
// two must agree packet for packet and end with the same error.
func FuzzReadPacket(f *testing.F) {
	for _, tr := range allTransports {
		var wire bytes.Buffer
		w := NewWriter(&wire, tr, testRand(6))
		for _, n := range []int{4, 0x7f * 4, 16} {
			if err := w.WritePacket(make([]byte, n), n == 16); err != nil {
				f.Fatal(err)
			}
		}
		if err := w.WriteQuickAck(0x80000001); err != nil {
			f.Fatal(err)
		}
		f.Add(byte(tr), false, wire.Bytes())
		f.Add(byte(tr), true, wire.Bytes())
	}
	f.Fuzz(func(t *testing.T, tb byte, responses bool, data []byte) {
		tr := Transport(tb%3 + 1)
		const limit = 4096
		newReader := NewReader
		if responses {
			newReader = NewResponseReader
		}
		whole := newReader(bytes.NewReader(data), tr, limit)
		bytewise := newReader(iotest.OneByteReader(bytes.NewReader(data)), tr, limit)
		for i := 0; ; i++ {
			p1, q1, err1 := whole.ReadPacket()
			p2, q2, err2 := bytewise.ReadPacket()
			if err1 != err2 {
				t.Fatalf("packet %d: errors differ: %v vs %v", i, err1, err2)
			}
			if err1 != nil {
				switch {
				case err1 == io.EOF, err1 == io.ErrUnexpectedEOF,
					errors.Is(err1, ErrBadLength), errors.Is(err1, ErrPacketTooLarge):
				default:
					t.Fatalf("unexpected error %v", err1)
				}
				return
			}
			if !bytes.Equal(p1, p2) || q1 != q2 {
				t.Fatalf("packet %d differs: %x %v vs %x %v", i, p1, q1, p2, q2)
			}
			token := responses && q1
			if token && len(p1) != 4 {
				t.Fatalf("quick-ACK token of %d bytes", len(p1))
			}
			if !token && (len(p1) == 0 || len(p1)%4 != 0 || len(p1) > limit) {
				t.Fatalf("packet %d: %d bytes", i, len(p1))
			}
		}
	})
}
