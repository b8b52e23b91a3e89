package faketls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func readHello(t *testing.T, stream []byte) (raw, record []byte, buf []byte, err error) {
	t.Helper()
	buf = make([]byte, HelloBufferSize)
	// OneByteReader: the reader must cope with short reads.
	raw, record, err = ReadClientHello(iotest.OneByteReader(bytes.NewReader(stream)), buf)
	return raw, record, buf, err
}

func TestReadClientHelloOneRecord(t *testing.T) {
	hello, _ := buildHello(t, 1, HelloOptions{Domain: testDomain, Timestamp: 77})
	after := []byte{0x14, 0x03, 0x03, 0x00, 0x01, 0x01}
	r := bytes.NewReader(append(bytes.Clone(hello), after...))
	raw, record, err := ReadClientHello(r, make([]byte, HelloBufferSize))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "raw", raw, hello)
	if &record[0] != &raw[0] || len(record) != len(raw) {
		t.Fatal("a one-record hello must be returned as raw itself")
	}
	rest, _ := io.ReadAll(r)
	mustEqual(t, "bytes after the hello stay unread", rest, after)
	if _, ts, err := Verify(record, [][16]byte{testSecret}); err != nil || ts != 77 {
		t.Fatalf("Verify: %d, %v", ts, err)
	}
}

func TestReadClientHelloFragmented(t *testing.T) {
	splits := [][]int{
		{1},               // handshake header split after its type byte
		{3},               // inside the length
		{4},               // right after the handshake header
		{300},             // two records
		{2, 5},            // three records, the header over two of them
		{100, 1000},       // three records
		{1, 2, 3, 4, 500}, // one-byte records first
	}
	for _, split := range splits {
		hello, random := buildHello(t, 2, HelloOptions{Domain: testDomain, Timestamp: 99, SplitAt: split})
		raw, record, buf, err := readHello(t, hello)
		if err != nil {
			t.Fatalf("split %v: %v", split, err)
		}
		mustEqual(t, "raw", raw, hello)
		mustEqual(t, "record", record, joinRecords(t, hello))
		if &record[0] != &buf[len(raw)] {
			t.Fatalf("split %v: a small re-framed record should sit behind raw in buf", split)
		}
		h, err := ParseClientHello(record)
		if err != nil || h.Random != random || h.ServerName != testDomain {
			t.Fatalf("split %v: parse %v", split, err)
		}
		if idx, ts, err := Verify(record, [][16]byte{{1}, {2}, testSecret}); err != nil || idx != 2 || ts != 99 {
			t.Fatalf("split %v: Verify %d %d %v", split, idx, ts, err)
		}
	}
}

func TestReadClientHelloSizeLimits(t *testing.T) {
	// The largest hello: one full record, or fragmented into three.
	for _, split := range [][]int{nil, {5000, 12000}} {
		hello, _ := buildHello(t, 3, HelloOptions{Domain: testDomain, PadTo: MaxHelloSize, SplitAt: split})
		raw, record, _, err := readHello(t, hello)
		if err != nil {
			t.Fatalf("16 KB hello split %v: %v", split, err)
		}
		if len(record) != RecordHeaderLen+MaxHelloSize || len(raw) != len(hello) {
			t.Fatalf("record %d raw %d", len(record), len(raw))
		}
		if _, _, err := Verify(record, [][16]byte{testSecret}); err != nil {
			t.Fatalf("16 KB hello split %v: %v", split, err)
		}
	}
	// One byte over: as two records it is refused once its length is known,
	// as one record the record itself is oversized.
	over, _ := buildHello(t, 3, HelloOptions{Domain: testDomain, PadTo: MaxHelloSize + 1, SplitAt: []int{8000}})
	raw, _, _, err := readHello(t, over)
	if !errors.Is(err, ErrHelloTooLarge) {
		t.Fatalf("16 KB + 1 hello: %v, want ErrHelloTooLarge", err)
	}
	if len(raw) != RecordHeaderLen+8000 {
		t.Fatalf("raw holds %d bytes, want the first record (%d), read before the length was known", len(raw), 5+8000)
	}
	over, _ = buildHello(t, 3, HelloOptions{Domain: testDomain, PadTo: MaxHelloSize + 1})
	if _, _, _, err := readHello(t, over); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("16385-byte record: %v, want ErrRecordTooLarge", err)
	}
}

func TestReadClientHelloBufferBound(t *testing.T) {
	hello, _ := buildHello(t, 4, HelloOptions{Domain: testDomain, SplitAt: []int{600, 1200}})
	// Room for the records but not for the re-framed copy: it is allocated.
	buf := make([]byte, len(hello))
	raw, record, err := ReadClientHello(bytes.NewReader(hello), buf)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "record", record, joinRecords(t, hello))
	mustEqual(t, "raw", raw, hello)
	// One byte short.
	buf = make([]byte, len(hello)-1)
	raw, _, err = ReadClientHello(bytes.NewReader(hello), buf)
	if !errors.Is(err, ErrHelloTooLarge) {
		t.Fatalf("small buffer: %v, want ErrHelloTooLarge", err)
	}
	mustEqual(t, "raw so far: two records and the third header", raw, hello[:5+600+5+600+5])
	// Many one-byte records exhaust the buffer before the message completes.
	var split []int
	for i := 1; i < 3000; i++ {
		split = append(split, i)
	}
	tiny, _ := buildHello(t, 4, HelloOptions{Domain: testDomain, PadTo: 3001, SplitAt: split})
	if _, _, _, err := readHello(t, tiny); !errors.Is(err, ErrHelloTooLarge) {
		t.Fatalf("%d one-byte records: %v, want ErrHelloTooLarge", len(split), err)
	}
}

func TestReadClientHelloRejects(t *testing.T) {
	hello, _ := buildHello(t, 5, HelloOptions{Domain: testDomain, SplitAt: []int{400}})
	second := 5 + 400 // offset of the second record header
	mod := func(f func(b []byte)) []byte { b := bytes.Clone(hello); f(b); return b }
	cases := []struct {
		name    string
		stream  []byte
		want    error
		rawKept int // bytes raw must hold
	}{
		{"http", []byte("GET / HTTP/1.1\r\n"), ErrNotTLS, 5},
		{"tls 1.0 version byte", mod(func(b []byte) { b[2] = 0x02 }), ErrNotTLS, 5},
		{"alert first", mod(func(b []byte) { b[0] = 0x15 }), ErrNotTLS, 5},
		{"empty record", []byte{0x16, 0x03, 0x01, 0x00, 0x00}, ErrBadHello, 5},
		{"not a ClientHello", mod(func(b []byte) { b[5] = 0x02 }), ErrBadHello, second},
		{"continuation type", mod(func(b []byte) { b[second] = 0x17 }), ErrBadHello, second + 5},
		{"continuation version", mod(func(b []byte) { b[second+2] = 0x00 }), ErrBadHello, second + 5},
		{"continuation empty", append(bytes.Clone(hello[:second]), 0x16, 0x03, 0x01, 0x00, 0x00), ErrBadHello, second + 5},
		{"continuation oversized", mod(func(b []byte) { binary.BigEndian.PutUint16(b[second+3:], 0x4001) }), ErrRecordTooLarge, second + 5},
		{"message longer than its records", mod(func(b []byte) { b[5+3]++ }), io.EOF, len(hello)},
		{"trailing bytes in the record", mod(func(b []byte) { b[5+3]-- }), ErrBadHello, len(hello)},
		{"truncated header", hello[:3], io.ErrUnexpectedEOF, 3},
		{"truncated payload", hello[:200], io.ErrUnexpectedEOF, 200},
		{"truncated at a record boundary", hello[:second], io.EOF, second},
		{"nothing", nil, io.EOF, 0},
	}
	for _, c := range cases {
		raw, rec, _, err := readHello(t, c.stream)
		if !errors.Is(err, c.want) || rec != nil {
			t.Errorf("%s: %v (record %d bytes), want %v", c.name, err, len(rec), c.want)
			continue
		}
		if len(raw) != c.rawKept || !bytes.Equal(raw, c.stream[:len(raw)]) {
			t.Errorf("%s: raw holds %d bytes, want the %d read", c.name, len(raw), c.rawKept)
		}
	}
}

func TestLooksLikeHello(t *testing.T) {
	for in, want := range map[string]bool{
		"\x16\x03\x01": true, "\x16\x03\x03\x02": true, "\x16\x03\x02": false,
		"\x16\x03": false, "\x17\x03\x01": false, "GET": false, "": false, "\xef\xef\xef": false,
	} {
		if got := LooksLikeHello([]byte(in)); got != want {
			t.Errorf("LooksLikeHello(%x) = %v", in, got)
		}
	}
}
