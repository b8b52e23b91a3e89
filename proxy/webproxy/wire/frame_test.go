package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// Golden encodings, written out byte by byte from the frame layout
// (type u8 | stream u24 | len u32 | payload, big-endian).
func TestFrameGolden(t *testing.T) {
	cases := []struct {
		name string
		got  []byte
		want string
	}{
		{"HELLO", Hello(), "10000000" + "00000001" + "01"},
		{"WELCOME", Welcome(), "11000000" + "00000000"},
		{"OPEN 1", AppendFrame(nil, TypeOpen, 1, nil), "01000001" + "00000000"},
		{"DATA 0x123456", AppendFrame(nil, TypeData, 0x123456, []byte{0xde, 0xad}), "02123456" + "00000002" + "dead"},
		{"CLOSE max", AppendFrame(nil, TypeClose, MaxStreamID, nil), "03ffffff" + "00000000"},
		{"WINDOW 256 KiB", AppendWindow(nil, 7, 256<<10), "04000007" + "00000004" + "00040000"},
	}
	for _, c := range cases {
		if h := hex.EncodeToString(c.got); h != c.want {
			t.Errorf("%s: %s, want %s", c.name, h, c.want)
		}
	}
	if len(Hello()) != 9 || len(Welcome()) != 8 {
		t.Errorf("HELLO %d bytes, WELCOME %d bytes; want 9 and 8", len(Hello()), len(Welcome()))
	}
}

func TestParseRoundTrip(t *testing.T) {
	var batch []byte
	want := []Frame{
		{TypeOpen, 1, nil},
		{TypeData, 1, bytes.Repeat([]byte{7}, 1000)},
		{TypeWindow, 1, []byte{0, 0, 1, 0}},
		{TypePong, 0, []byte("tok")},
		{TypeData, 2, make([]byte, MaxPayload)},
		{TypeClose, 1, nil},
	}
	for _, f := range want {
		batch = AppendFrame(batch, f.Type, f.Stream, f.Payload)
	}
	n, err := CheckBatch(batch, FromClient)
	if err != nil || n != len(want) {
		t.Fatalf("CheckBatch = %d, %v", n, err)
	}
	for i, w := range want {
		f, used, err := Parse(batch, FromClient)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Type != w.Type || f.Stream != w.Stream || !bytes.Equal(f.Payload, w.Payload) {
			t.Fatalf("frame %d: %v %d %d bytes, want %v %d %d bytes", i, f.Type, f.Stream, len(f.Payload), w.Type, w.Stream, len(w.Payload))
		}
		batch = batch[used:]
	}
	if len(batch) != 0 {
		t.Errorf("%d bytes left", len(batch))
	}
	if f, _, err := Parse(AppendWindow(nil, 3, 42), FromRelay); err != nil || f.Window() != 42 {
		t.Errorf("WINDOW from the relay: %v, %v", f, err)
	}
}

func TestParseRefuses(t *testing.T) {
	hdr := func(t Type, stream uint32, n int) []byte {
		b := make([]byte, HeaderLen)
		PutHeader(b, t, stream, n)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		from Side
		want error
	}{
		{"empty", nil, FromClient, ErrPartial},
		{"short header", []byte{2, 0, 0, 1, 0, 0, 0}, FromClient, ErrPartial},
		{"short payload", append(hdr(TypeData, 1, 4), 1, 2, 3), FromClient, ErrPartial},
		{"unknown type", hdr(0x07, 1, 0), FromClient, ErrUnknownType},
		{"type 0", hdr(0, 0, 0), FromClient, ErrUnknownType},
		{"OPEN from the relay", hdr(TypeOpen, 1, 0), FromRelay, ErrWrongDirection},
		{"PING from the client", hdr(TypePing, 0, 0), FromClient, ErrWrongDirection},
		{"WELCOME from the client", hdr(TypeWelcome, 0, 0), FromClient, ErrWrongDirection},
		{"BYE from the client", hdr(TypeBye, 0, 0), FromClient, ErrWrongDirection},
		{"HELLO from the relay", append(hdr(TypeHello, 0, 1), 1), FromRelay, ErrWrongDirection},
		{"PONG from the relay", hdr(TypePong, 0, 0), FromRelay, ErrWrongDirection},
		{"DATA on stream 0", append(hdr(TypeData, 0, 1), 1), FromClient, ErrBadStream},
		{"OPEN on stream 0", hdr(TypeOpen, 0, 0), FromClient, ErrBadStream},
		{"HELLO on a stream", append(hdr(TypeHello, 5, 1), 1), FromClient, ErrBadStream},
		{"empty DATA", hdr(TypeData, 1, 0), FromClient, ErrBadPayload},
		{"OPEN with payload", append(hdr(TypeOpen, 1, 1), 0), FromClient, ErrBadPayload},
		{"CLOSE with payload", append(hdr(TypeClose, 1, 1), 0), FromClient, ErrBadPayload},
		{"WINDOW of 0", append(hdr(TypeWindow, 1, 4), 0, 0, 0, 0), FromClient, ErrBadPayload},
		{"WINDOW of 3 bytes", append(hdr(TypeWindow, 1, 3), 0, 0, 1), FromClient, ErrBadPayload},
		{"HELLO version 2", append(hdr(TypeHello, 0, 1), 2), FromClient, ErrBadPayload},
		{"HELLO of 2 bytes", append(hdr(TypeHello, 0, 2), 1, 1), FromClient, ErrBadPayload},
		{"long PONG", append(hdr(TypePong, 0, MaxTokenLen+1), make([]byte, MaxTokenLen+1)...), FromClient, ErrBadPayload},
		// Refused from the header alone, before any payload byte.
		{"payload over 1 MiB", hdr(TypeData, 1, MaxPayload+1), FromClient, ErrTooLarge},
	}
	for _, c := range cases {
		if _, _, err := Parse(c.b, c.from); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestCheckBatchBounds(t *testing.T) {
	var b []byte
	for range MaxBatchFrames {
		b = AppendFrame(b, TypeOpen, 1, nil)
	}
	if n, err := CheckBatch(b, FromClient); err != nil || n != MaxBatchFrames {
		t.Fatalf("%d frames: %d, %v", MaxBatchFrames, n, err)
	}
	if _, err := CheckBatch(AppendFrame(b, TypeOpen, 2, nil), FromClient); !errors.Is(err, ErrBatch) {
		t.Errorf("one frame too many: %v", err)
	}
	big := AppendFrame(nil, TypeData, 1, make([]byte, MaxPayload))
	big = AppendFrame(big, TypeData, 1, make([]byte, MaxPayload-2*HeaderLen))
	if _, err := CheckBatch(big, FromClient); err != nil {
		t.Errorf("exactly 2 MiB: %v", err)
	}
	if _, err := CheckBatch(append(big, 0), FromClient); !errors.Is(err, ErrBatch) {
		t.Errorf("2 MiB + 1: %v", err)
	}
	if _, err := CheckBatch(append(AppendFrame(nil, TypeOpen, 1, nil), 2, 0), FromClient); !errors.Is(err, ErrPartial) {
		t.Errorf("trailing partial frame: %v", err)
	}
	if n, err := CheckBatch(nil, FromClient); err != nil || n != 0 {
		t.Errorf("empty batch: %d, %v", n, err)
	}
}
