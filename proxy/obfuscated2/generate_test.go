package obfuscated2

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// goodRandom is 64 bytes that pass every re-roll rule.
func goodRandom() []byte {
	b := make([]byte, HeaderLen)
	for i := range b {
		b[i] = byte(0x11 + 5*i)
	}
	return b
}

func withFirst(first ...byte) []byte {
	b := goodRandom()
	copy(b, first)
	return b
}

func TestForbiddenPatterns(t *testing.T) {
	cases := map[string][]byte{
		"byte0 ef":         withFirst(0xef),
		"abridged tag":     withFirst(0xef, 0xef, 0xef, 0xef),
		"HEAD":             withFirst('H', 'E', 'A', 'D'),
		"POST":             withFirst('P', 'O', 'S', 'T'),
		"GET ":             withFirst('G', 'E', 'T', ' '),
		"OPTI":             withFirst('O', 'P', 'T', 'I'),
		"PVrG":             withFirst('P', 'V', 'r', 'G'),
		"intermediate tag": withFirst(0xee, 0xee, 0xee, 0xee),
		"padded tag":       withFirst(0xdd, 0xdd, 0xdd, 0xdd),
		"TLS record":       withFirst(0x16, 0x03, 0x01, 0x02),
		"bytes 4..7 zero":  withFirst(1, 2, 3, 4, 0, 0, 0, 0),
		"all zero":         make([]byte, HeaderLen),
	}
	for name, b := range cases {
		if !Forbidden((*[HeaderLen]byte)(b)) {
			t.Errorf("%s: not forbidden", name)
		}
	}
	allowed := map[string][]byte{
		"good":           goodRandom(),
		"ef not first":   withFirst(0x01, 0xef),
		"GET without sp": withFirst('G', 'E', 'T', 'x'),
		"TLS 1.0 hello?": withFirst(0x16, 0x03, 0x01, 0x03),
		"one zero byte":  withFirst(1, 2, 3, 4, 0, 0, 0, 1),
	}
	for name, b := range allowed {
		if Forbidden((*[HeaderLen]byte)(b)) {
			t.Errorf("%s: forbidden", name)
		}
	}
}

// A prefix is impossible as soon as it breaks a rule, and only then.
func TestImpossiblePrefix(t *testing.T) {
	impossible := map[string]string{
		"abridged marker": "\xef",
		"GET":             "GET ",
		"HTTP request":    "GET / HTTP/1.1\r\n",
		"HEAD":            "HEAD /",
		"POST":            "POST",
		"padded tag":      "\xdd\xdd\xdd\xdd\x01",
		"zero seq":        "abcd\x00\x00\x00\x00",
	}
	for name, p := range impossible {
		if !ImpossiblePrefix([]byte(p)) {
			t.Errorf("%s: %q possible", name, p)
		}
	}
	possible := map[string]string{
		"empty":          "",
		"GET, too short": "GET",
		"PUT":            "PUT / HTTP/1.1",
		"seq unknown":    "abcd\x00\x00\x00",
		"good":           string(goodRandom()),
	}
	for name, p := range possible {
		if ImpossiblePrefix([]byte(p)) {
			t.Errorf("%s: %q impossible", name, p)
		}
	}
}

func TestGenerateRerolls(t *testing.T) {
	good := goodRandom()
	stream := bytes.Join([][]byte{
		withFirst(0xef),
		withFirst('P', 'O', 'S', 'T'),
		withFirst(0xdd, 0xdd, 0xdd, 0xdd),
		withFirst(0x16, 0x03, 0x01, 0x02),
		withFirst(9, 9, 9, 9, 0, 0, 0, 0),
		good,
	}, nil)
	r := bytes.NewReader(stream)
	secret := [16]byte{4, 2}
	hdr, _, _, err := Generate(iotest.HalfReader(r), &secret, framing.Intermediate, 3)
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d random bytes left unread", r.Len())
	}
	if !bytes.Equal(hdr[:56], good[:56]) {
		t.Fatalf("header does not use the first acceptable draw: %x", hdr[:56])
	}
	a, err := Accept(&hdr, [][16]byte{secret})
	if err != nil || a.DC != 3 || a.Transport != framing.Intermediate {
		t.Fatalf("accept: %+v, %v", a, err)
	}
}

func TestGenerateWeakRandom(t *testing.T) {
	_, _, _, err := Generate(zeroReader{}, nil, framing.Abridged, 2)
	if !errors.Is(err, ErrWeakRandom) {
		t.Fatalf("err = %v, want ErrWeakRandom", err)
	}
}

func TestGenerateErrors(t *testing.T) {
	if _, _, _, err := Generate(bytes.NewReader(goodRandom()), nil, 0, 2); !errors.Is(err, ErrBadTransport) {
		t.Errorf("transport 0: err = %v", err)
	}
	if _, _, _, err := Generate(bytes.NewReader(goodRandom()), nil, framing.Padded+1, 2); !errors.Is(err, ErrBadTransport) {
		t.Errorf("transport 4: err = %v", err)
	}
	short := bytes.NewReader(goodRandom()[:40])
	if _, _, _, err := Generate(short, nil, framing.Padded, 2); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short random: err = %v", err)
	}
	boom := errors.New("boom")
	if _, _, _, err := Generate(iotest.ErrReader(boom), nil, framing.Padded, 2); !errors.Is(err, boom) {
		t.Errorf("failing random: err = %v", err)
	}
}

func TestGeneratedHeaderIsNotForbiddenInTheClear(t *testing.T) {
	r := seeded(9)
	for range 500 {
		hdr, _, _, err := Generate(r, nil, framing.Abridged, 2)
		if err != nil {
			t.Fatal(err)
		}
		if Forbidden(&hdr) {
			t.Fatalf("generated forbidden header %x", hdr[:8])
		}
		if tag := framing.Abridged.Tag(); bytes.Equal(hdr[56:60], tag[:]) {
			t.Fatal("tag sent in the clear")
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
