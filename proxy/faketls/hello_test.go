package faketls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestParseBuiltHello(t *testing.T) {
	for seed := range byte(20) {
		raw, random := buildHello(t, seed, HelloOptions{Domain: testDomain, Timestamp: 5})
		if len(raw) < 1600 || len(raw) > 2000 {
			t.Errorf("seed %d: hello of %d bytes, want a modern client's ~1.8 KB", seed, len(raw))
		}
		h, err := ParseClientHello(raw)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if h.ServerName != testDomain || h.CipherSuite != 0x1301 || h.Random != random {
			t.Fatalf("seed %d: parsed %q %#x %x", seed, h.ServerName, h.CipherSuite, h.Random)
		}
		mustEqual(t, "session id", h.SessionID, raw[44:76])
		if &h.SessionID[0] == &raw[44] {
			t.Fatal("SessionID aliases the record")
		}
	}
}

func TestBuiltHelloShape(t *testing.T) {
	raw, _ := buildHello(t, 7, HelloOptions{Domain: testDomain})
	exts := listExtensions(t, raw)
	for _, want := range []uint16{0x0000, 0x000a, 0x0010, 0x002b, 0x002d, 0x0033, 0xfe0d} {
		if _, ok := exts[want]; !ok {
			t.Errorf("extension %#04x missing", want)
		}
	}
	ks := exts[0x0033]
	// GREASE share (5 bytes), then 11ec 04c0 <1216>, then 001d 0020 <32>.
	if binary.BigEndian.Uint16(ks) != uint16(len(ks)-2) || !isGrease(binary.BigEndian.Uint16(ks[2:])) ||
		!bytes.Equal(ks[7:11], []byte{0x11, 0xec, 0x04, 0xc0}) ||
		!bytes.Equal(ks[11+1216:11+1216+4], []byte{0x00, 0x1d, 0x00, 0x20}) || len(ks) != 11+1216+36 {
		t.Fatalf("key_share layout: %x", ks[:16])
	}
	if raw2, _ := buildHello(t, 8, HelloOptions{}); bytes.Contains(raw2, []byte(testDomain)) {
		t.Fatal("no domain, yet SNI present")
	} else if h, err := ParseClientHello(raw2); err != nil || h.ServerName != "" {
		t.Fatalf("no SNI: %q, %v", h.ServerName, err)
	}
}

func isGrease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// listExtensions walks the extensions of a one-record hello with its own
// offsets arithmetic, independent of ParseClientHello.
func listExtensions(t *testing.T, rec []byte) map[uint16][]byte {
	t.Helper()
	p := 5 + 4 + 2 + 32
	p += 1 + int(rec[p])
	p += 2 + int(binary.BigEndian.Uint16(rec[p:]))
	p += 1 + int(rec[p])
	end := p + 2 + int(binary.BigEndian.Uint16(rec[p:]))
	if end != len(rec) {
		t.Fatalf("extensions end at %d of %d", end, len(rec))
	}
	exts := map[uint16][]byte{}
	for p += 2; p < end; {
		typ, n := binary.BigEndian.Uint16(rec[p:]), int(binary.BigEndian.Uint16(rec[p+2:]))
		if _, dup := exts[typ]; dup {
			t.Fatalf("duplicate extension %#04x", typ)
		}
		exts[typ] = rec[p+4 : p+4+n]
		p += 4 + n
	}
	return exts
}

// reframe sets the record and handshake lengths of a hello after its body changed.
func fixLengths(rec []byte) []byte {
	binary.BigEndian.PutUint16(rec[3:5], uint16(len(rec)-5))
	n := len(rec) - 9
	rec[6], rec[7], rec[8] = byte(n>>16), byte(n>>8), byte(n)
	return rec
}

func TestParseTruncatedBodies(t *testing.T) {
	rec := handHello(testDomain, []byte{1, 2, 3}, []uint16{0x1301})
	noExtsAt := len(rec) - (2 + 9 + len(testDomain) + 4) // just after compression methods
	for n := 9; n < len(rec); n++ {
		_, err := ParseClientHello(fixLengths(bytes.Clone(rec[:n])))
		if n == noExtsAt {
			if err != nil {
				t.Fatalf("hello without extensions: %v", err)
			}
			continue
		}
		if !errors.Is(err, ErrBadHello) {
			t.Fatalf("body cut to %d bytes: %v, want ErrBadHello", n, err)
		}
	}
	for n := range 9 {
		if _, err := ParseClientHello(rec[:n]); !errors.Is(err, ErrBadHello) {
			t.Fatalf("record cut to %d: %v", n, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	good := handHello(testDomain, nil, []uint16{0x1301})
	mod := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string][]byte{
		"record type":        mod(func(b []byte) []byte { b[0] = 0x17; return b }),
		"record version":     mod(func(b []byte) []byte { b[2] = 0x02; return b }),
		"record length":      mod(func(b []byte) []byte { b[4]++; return b }),
		"trailing byte":      append(bytes.Clone(good), 0),
		"handshake type":     mod(func(b []byte) []byte { b[5] = 0x02; return b }),
		"handshake length":   mod(func(b []byte) []byte { b[8]--; return b }),
		"legacy version":     mod(func(b []byte) []byte { b[10] = 0x01; return b }),
		"session id 33":      fixLengths(handHello(testDomain, make([]byte, 33), []uint16{0x1301})),
		"odd suites":         mod(func(b []byte) []byte { b[44] = 0x00; b[45] = 0x01; return b }),
		"no suites":          fixLengths(handHello(testDomain, nil, nil)),
		"duplicate sni":      dupSNI(good),
		"empty host name":    emptySNI(),
		"extensions overrun": mod(func(b []byte) []byte { b[50]++; return b }),
	}
	for name, rec := range cases {
		if _, err := ParseClientHello(rec); !errors.Is(err, ErrBadHello) {
			t.Errorf("%s: %v, want ErrBadHello", name, err)
		}
	}
}

func dupSNI(good []byte) []byte {
	ext := []byte{0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0x00, 0x01, 'x'}
	rec := append(bytes.Clone(good), ext...)
	p := 5 + 4 + 2 + 32 + 1 + 2 + 2 + 2 // up to the extensions length
	binary.BigEndian.PutUint16(rec[p:], binary.BigEndian.Uint16(rec[p:])+uint16(len(ext)))
	return fixLengths(rec)
}

func emptySNI() []byte {
	rec := handHello("x", nil, []uint16{0x1301})
	// Cut the 1-byte name and shrink every enclosing length by one.
	i := bytes.LastIndexByte(rec, 'x')
	rec = append(rec[:i], rec[i+1:]...)
	rec[i-1]--  // name length
	rec[i-4]--  // server_name_list length
	rec[i-6]--  // extension length
	rec[i-10]-- // extensions block length
	return fixLengths(rec)
}

func TestParseCipherSuiteAndSNIChoice(t *testing.T) {
	rec := handHello(testDomain, nil, []uint16{0x3a3a, 0xc02b, 0x1303, 0x1301})
	h, err := ParseClientHello(rec)
	if err != nil || h.CipherSuite != 0x1303 {
		t.Fatalf("suite %#x, %v; want first TLS 1.3 suite 0x1303", h.CipherSuite, err)
	}
	if h, err := ParseClientHello(handHello(testDomain, nil, []uint16{0x2a2a, 0xc02f})); err != nil || h.CipherSuite != 0 {
		t.Fatalf("no TLS 1.3 suite: %#x, %v", h.CipherSuite, err)
	}
	// A server_name list whose first entry is not a host_name.
	rec = handHello("ab", nil, []uint16{0x1301})
	i := bytes.Index(rec, []byte("ab"))
	rec[i-3] = 0x07
	rec = append(rec[:i+2], append([]byte{0x00, 0x00, 0x01, 'h'}, rec[i+2:]...)...)
	rec[i-4] += 4  // list length
	rec[i-6] += 4  // extension length
	rec[i-10] += 4 // extensions block length
	h, err = ParseClientHello(fixLengths(rec))
	if err != nil || h.ServerName != "h" {
		t.Fatalf("server name %q, %v; want the host_name entry", h.ServerName, err)
	}
}
