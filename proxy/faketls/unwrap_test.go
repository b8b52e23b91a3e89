package faketls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// refUnwrap is the reference: it unwraps a whole stream at once. A record
// cut short at the end yields the payload present; a cut header nothing.
func refUnwrap(stream []byte) ([]byte, error) {
	var out []byte
	for len(stream) >= RecordHeaderLen {
		typ, n := stream[0], int(binary.BigEndian.Uint16(stream[3:5]))
		switch {
		case typ != 0x17 && typ != 0x14, typ == 0x14 && n != 1:
			return out, ErrUnexpectedRecord
		case stream[1] != 3 || stream[2] != 3:
			return out, ErrUnexpectedRecord
		case n > 16384+256:
			return out, ErrRecordTooLarge
		}
		body := stream[5:min(len(stream), 5+n)]
		if typ == 0x17 {
			out = append(out, body...)
		} else if len(body) == 1 && body[0] != 1 {
			return out, ErrUnexpectedRecord
		}
		stream = stream[5+len(body):]
	}
	return out, nil
}

func appRecord(payload []byte) []byte {
	return append([]byte{0x17, 0x03, 0x03, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func randBytes(seed byte, n int) []byte {
	b := make([]byte, n)
	testRand(seed).Read(b)
	return b
}

// testStream: records of several sizes, ChangeCipherSpec ones and an empty one.
func testStream(big int) []byte {
	var s []byte
	s = AppendChangeCipherSpec(s)
	s = append(s, appRecord(randBytes(1, 37))...)
	s = append(s, appRecord(nil)...)
	s = append(s, appRecord(randBytes(2, 5))...)
	s = AppendChangeCipherSpec(s)
	s = append(s, appRecord(randBytes(3, 1))...)
	s = append(s, appRecord(randBytes(4, big))...)
	return append(s, appRecord(randBytes(5, 3))...)
}

// unwrapChunks feeds stream to a fresh Unwrapper cut at the given offsets.
func unwrapChunks(stream []byte, cuts ...int) ([]byte, *Unwrapper, error) {
	buf := bytes.Clone(stream)
	u := new(Unwrapper)
	var out []byte
	prev := 0
	for _, c := range append(cuts, len(buf)) {
		got, err := u.Unwrap(buf[prev:c])
		if len(got) > 0 && &got[0] != &buf[prev] {
			return nil, u, errors.New("output not at the start of the input")
		}
		out = append(out, got...)
		if err != nil {
			return out, u, err
		}
		prev = c
	}
	return out, u, nil
}

func TestUnwrapEverySplit(t *testing.T) {
	stream := testStream(200)
	want, _ := refUnwrap(stream)
	if len(want) != 37+5+1+200+3 {
		t.Fatalf("reference yields %d bytes", len(want))
	}
	for i := 0; i <= len(stream); i++ {
		for j := i; j <= len(stream); j++ {
			got, u, err := unwrapChunks(stream, i, j)
			if err != nil || !bytes.Equal(got, want) || u.Pending() {
				t.Fatalf("cuts %d,%d: %v, equal=%v, pending=%v", i, j, err, bytes.Equal(got, want), u.Pending())
			}
		}
	}
	// Byte by byte.
	cuts := make([]int, len(stream))
	for i := range cuts {
		cuts[i] = i
	}
	if got, _, err := unwrapChunks(stream, cuts...); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("byte by byte: %v", err)
	}
}

func TestUnwrapLargestRecord(t *testing.T) {
	stream := testStream(MaxReadPayload)
	want, _ := refUnwrap(stream)
	for i := 0; i <= len(stream); i += 97 {
		if got, _, err := unwrapChunks(stream, i); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("cut %d: %v", i, err)
		}
	}
	over := appRecord(make([]byte, MaxReadPayload+1))
	if _, _, err := unwrapChunks(over); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("%d-byte record: %v, want ErrRecordTooLarge", MaxReadPayload+1, err)
	}
}

func TestUnwrapRejects(t *testing.T) {
	lead := appRecord([]byte("payload before"))
	cases := map[string][]byte{
		"alert":            {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28},
		"handshake":        {0x16, 0x03, 0x03, 0x00, 0x01, 0x01},
		"unknown type":     {0x18, 0x03, 0x03, 0x00, 0x01, 0x01},
		"version 03 01":    {0x17, 0x03, 0x01, 0x00, 0x01, 0x01},
		"ccs of 2 bytes":   {0x14, 0x03, 0x03, 0x00, 0x02, 0x01, 0x01},
		"ccs of 0 bytes":   {0x14, 0x03, 0x03, 0x00, 0x00},
		"ccs value 02":     {0x14, 0x03, 0x03, 0x00, 0x01, 0x02},
		"ccs version 0301": {0x14, 0x03, 0x01, 0x00, 0x01, 0x01},
	}
	for name, bad := range cases {
		stream := append(bytes.Clone(lead), bad...)
		stream = append(stream, appRecord([]byte("never seen"))...)
		for _, cut := range []int{len(stream), len(lead) + 2, len(lead) + 5} {
			got, u, err := unwrapChunks(stream, cut)
			if !errors.Is(err, ErrUnexpectedRecord) || string(got) != "payload before" {
				t.Fatalf("%s, cut %d: %q, %v", name, cut, got, err)
			}
			// Sticky.
			if out, err2 := u.Unwrap(appRecord([]byte("x"))); len(out) != 0 || !errors.Is(err2, ErrUnexpectedRecord) {
				t.Fatalf("%s: after an error: %q, %v", name, out, err2)
			}
		}
	}
}

func TestUnwrapPending(t *testing.T) {
	var u Unwrapper
	rec := appRecord([]byte("abc"))
	for i, want := range []bool{true, true, true, true, true, true, true, false} {
		if _, err := u.Unwrap(bytes.Clone(rec[i : i+1])); err != nil {
			t.Fatal(err)
		}
		if u.Pending() != want {
			t.Fatalf("after %d bytes: pending %v", i+1, !want)
		}
	}
}

func TestUnwrapZeroAllocs(t *testing.T) {
	stream := testStream(MaxReadPayload)
	buf := make([]byte, len(stream))
	allocs := testing.AllocsPerRun(100, func() {
		copy(buf, stream)
		var u Unwrapper
		for i := 0; i < len(buf); i += 1000 {
			if _, err := u.Unwrap(buf[i:min(len(buf), i+1000)]); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per stream", allocs)
	}
}

func TestPutRecordHeader(t *testing.T) {
	var h [5]byte
	PutRecordHeader(h[:], 0x1234)
	mustEqual(t, "header", h[:], []byte{0x17, 0x03, 0x03, 0x12, 0x34})
	mustEqual(t, "ccs", AppendChangeCipherSpec([]byte{9}), []byte{9, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01})
}
