package faketls

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func record(typ byte, payload []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func TestReadPayloadStopsAtTheLastByte(t *testing.T) {
	data := make([]byte, 100)
	for i := range data {
		data[i] = byte(i)
	}
	var stream []byte
	stream = AppendChangeCipherSpec(stream)
	stream = append(stream, record(TypeApplicationData, data[:10])...)
	stream = append(stream, record(TypeApplicationData, nil)...)
	stream = append(stream, record(TypeApplicationData, data[10:30])...)
	stream = append(stream, record(TypeApplicationData, data[30:100])...)
	r := bytes.NewReader(stream)
	var u Unwrapper
	dst := make([]byte, 64)
	if err := ReadPayload(r, &u, dst); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "payload", dst, data[:64])
	// What is left is the rest of the last record, unwrapped by u.
	rest, _ := io.ReadAll(r)
	if len(rest) != 36 || !u.Pending() {
		t.Fatalf("%d bytes left, pending %t", len(rest), u.Pending())
	}
	got, err := u.Unwrap(rest)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "rest", got, data[64:])
}

func TestReadPayloadRejects(t *testing.T) {
	cases := map[string][]byte{
		"handshake record": record(TypeHandshake, make([]byte, 64)),
		"alert":            record(TypeAlert, []byte{2, 40}),
		"long ccs":         record(TypeChangeCipherSpec, []byte{1, 1}),
	}
	for name, stream := range cases {
		var u Unwrapper
		if err := ReadPayload(bytes.NewReader(stream), &u, make([]byte, 64)); !IsMalformed(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	var u Unwrapper
	short := record(TypeApplicationData, make([]byte, 10))
	if err := ReadPayload(bytes.NewReader(short), &u, make([]byte, 64)); !errors.Is(err, io.EOF) || IsMalformed(err) {
		t.Errorf("a short stream: %v", err)
	}
	if a := AppendAlert(nil, AlertUnrecognizedName); !bytes.Equal(a, []byte{0x15, 3, 3, 0, 2, 2, 112}) {
		t.Errorf("alert %x", a)
	}
}
