package framing

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

type headerVector struct {
	t        Transport
	length   int
	quickAck bool
	wire     string
}

// The non-quick-ACK abridged and intermediate vectors match what Telethon
// 1.25.1's AbridgedPacketCodec / IntermediatePacketCodec emit.
var headerVectors = []headerVector{
	{Abridged, 4, false, "01"},
	{Abridged, 0x7e * 4, false, "7e"},
	{Abridged, 0x7f * 4, false, "7f7f0000"},
	{Abridged, 0x100 * 4, false, "7f000100"},
	{Abridged, 0x12345 * 4, false, "7f452301"},
	{Abridged, 4, true, "81"},
	{Abridged, 0x7e * 4, true, "fe"},
	{Abridged, 0x7f * 4, true, "ff7f0000"},
	{Intermediate, 4, false, "04000000"},
	{Intermediate, 0x7f * 4, false, "fc010000"},
	{Intermediate, 0x12345 * 4, false, "148d0400"},
	{Intermediate, 8, true, "08000080"},
	{Padded, 7, false, "07000000"},
	{Padded, 1027, true, "03040080"},
}

func TestHeaderVectors(t *testing.T) {
	for _, v := range headerVectors {
		wire, _ := hex.DecodeString(v.wire)
		if got := AppendHeader([]byte{0xaa}, v.t, v.length, v.quickAck); !bytes.Equal(got[1:], wire) || got[0] != 0xaa {
			t.Errorf("AppendHeader(%v, %d, %v) = %x, want aa%s", v.t, v.length, v.quickAck, got, v.wire)
		}
		// Trailing bytes after the header must not matter.
		n, hl, q, err := ParseHeader(v.t, append(wire, 1, 2, 3, 4, 5))
		if err != nil || n != v.length || hl != len(wire) || q != v.quickAck {
			t.Errorf("ParseHeader(%v, %s) = %d, %d, %v, %v", v.t, v.wire, n, hl, q, err)
		}
		for cut := range len(wire) {
			if _, _, _, err := ParseHeader(v.t, wire[:cut]); !errors.Is(err, ErrShortHeader) {
				t.Errorf("ParseHeader(%v, %x): err = %v, want ErrShortHeader", v.t, wire[:cut], err)
			}
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	cases := []struct {
		t    Transport
		wire string
		want error
	}{
		{Abridged, "00", ErrBadLength},
		{Abridged, "80", ErrBadLength},
		{Abridged, "7f000000", ErrBadLength},
		{Abridged, "ff000000", ErrBadLength},
		{Abridged, "7f010004", ErrPacketTooLarge}, // 0x040001 words
		{Abridged, "7fffffff", ErrPacketTooLarge},
		{Intermediate, "00000000", ErrBadLength},
		{Intermediate, "00000080", ErrBadLength},
		{Intermediate, "05000000", ErrBadLength},
		{Intermediate, "06000080", ErrBadLength},
		{Intermediate, "04f00f00", ErrPacketTooLarge}, // 1044480 + 4
		{Intermediate, "fcffff7f", ErrPacketTooLarge},
		{Intermediate, "ffffff7f", ErrBadLength},
		{Padded, "ffffffff", ErrPacketTooLarge},
		{Padded, "00000000", ErrBadLength},
		{Padded, "03000000", ErrBadLength},
		{Padded, "03000080", ErrBadLength},
		{Padded, "04f00f00", ErrPacketTooLarge},
		{0, "04000000", ErrBadTransport},
		{Padded + 1, "04000000", ErrBadTransport},
	}
	for _, c := range cases {
		wire, _ := hex.DecodeString(c.wire)
		if _, _, _, err := ParseHeader(c.t, wire); !errors.Is(err, c.want) {
			t.Errorf("ParseHeader(%v, %s): err = %v, want %v", c.t, c.wire, err, c.want)
		}
	}
}

func TestParseHeaderLimits(t *testing.T) {
	// Exactly MaxPacketSize passes; Padded may add up to 3 tail bytes.
	max := AppendHeader(nil, Intermediate, MaxPacketSize, false)
	if n, _, _, err := ParseHeader(Intermediate, max); err != nil || n != MaxPacketSize {
		t.Errorf("intermediate max: %d, %v", n, err)
	}
	padded := AppendHeader(nil, Padded, MaxPacketSize+3, false)
	if n, _, _, err := ParseHeader(Padded, padded); err != nil || n != MaxPacketSize+3 {
		t.Errorf("padded max: %d, %v", n, err)
	}
	abr := AppendHeader(nil, Abridged, MaxPacketSize, true)
	if n, _, q, err := ParseHeader(Abridged, abr); err != nil || n != MaxPacketSize || !q {
		t.Errorf("abridged max: %d, %v, %v", n, q, err)
	}
	// Readers tolerate a non-canonical long abridged form.
	if n, hl, _, err := ParseHeader(Abridged, []byte{0x7f, 1, 0, 0}); err != nil || n != 4 || hl != 4 {
		t.Errorf("long form of 4: %d, %d, %v", n, hl, err)
	}
}

func TestAppendHeaderPanics(t *testing.T) {
	cases := []struct {
		t      Transport
		length int
	}{
		{Abridged, 0}, {Abridged, 6}, {Abridged, -4}, {Abridged, 1 << 26},
		{Intermediate, 0}, {Intermediate, 5}, {Intermediate, 1 << 31},
		{Padded, 0}, {Padded, -1}, {0, 4},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AppendHeader(%v, %d) did not panic", c.t, c.length)
				}
			}()
			AppendHeader(nil, c.t, c.length, false)
		}()
	}
	// The largest lengths that fit do not panic.
	AppendHeader(nil, Abridged, (1<<24-1)*4, false)
	AppendHeader(nil, Intermediate, 1<<31-4, false)
	AppendHeader(nil, Padded, 1<<31-1, false)
}
