package faketls

import (
	"errors"
	"strings"
	"testing"
)

// ja4Hello assembles a ClientHello record with the given lists in wire
// order (GREASE values included as given), a supported_versions extension
// of versions when not nil, and the given ALPN names.
func ja4Hello(ciphers, exts, sigs, versions []uint16, alpn []string) []byte {
	w := &builder{}
	w.u8(TypeHandshake)
	w.u16(0x0301)
	w.open()
	w.u8(typeClientHello)
	w.u8(0) // 3-byte handshake length: high byte, then a 2-byte scope
	w.open()
	w.u16(0x0303)
	w.zeros(randomLen)
	w.u8(0)
	w.open()
	for _, c := range ciphers {
		w.u16(c)
	}
	w.close()
	w.u8(1)
	w.u8(0)
	w.open()
	for _, e := range exts {
		w.ext(e, func() {
			switch e {
			case extServerName:
				w.open()
				w.u8(sniHostName)
				w.open()
				w.str("example.com")
				w.close()
				w.close()
			case extALPN:
				w.open()
				for _, a := range alpn {
					w.u8(byte(len(a)))
					w.str(a)
				}
				w.close()
			case extSignatureAlgs:
				w.open()
				for _, s := range sigs {
					w.u16(s)
				}
				w.close()
			case extSupportedVersions:
				w.u8(byte(2 * len(versions)))
				for _, v := range versions {
					w.u16(v)
				}
			}
		})
	}
	w.close()
	w.close()
	w.close()
	return w.b
}

// The example of FoxIO's JA4.md, in its original wire order, with GREASE
// added where Chrome puts it.
var (
	chromeCiphers = []uint16{0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
		0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	chromeExts = []uint16{0xdada, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005,
		0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015, 0x1a1a}
	chromeSigs     = []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}
	chromeVersions = []uint16{0x8a8a, 0x0304, 0x0303}
)

func without(list []uint16, drop ...uint16) []uint16 {
	var out []uint16
next:
	for _, v := range list {
		for _, d := range drop {
			if v == d {
				continue next
			}
		}
		out = append(out, v)
	}
	return out
}

// Golden values published by FoxIO: the JA4.md example (JA4 and JA4_r)
// and the fingerprints of the same Chrome build in the rust/ja4 test
// snapshot of tls-handshake.pcapng (an http/1.1-first connection, stream
// 5, and mtalk.google.com without ALPN and ALPS, stream 6).
func TestJA4Golden(t *testing.T) {
	cases := []struct {
		name string
		rec  []byte
		ja4  string
		raw  string
	}{{
		name: "JA4.md example",
		rec:  ja4Hello(chromeCiphers, chromeExts, chromeSigs, chromeVersions, []string{"h2", "http/1.1"}),
		ja4:  "t13d1516h2_8daaf6152771_e5627efa2ab1",
		raw: "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_" +
			"0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
	}, {
		name: "http/1.1 first",
		rec:  ja4Hello(chromeCiphers, chromeExts, chromeSigs, chromeVersions, []string{"http/1.1"}),
		ja4:  "t13d1516h1_8daaf6152771_e5627efa2ab1",
	}, {
		name: "no ALPN, no ALPS",
		rec:  ja4Hello(chromeCiphers, without(chromeExts, 0x0010, 0x4469), chromeSigs, chromeVersions, nil),
		ja4:  "t13d151400_8daaf6152771_de4a06bb82e3",
	}}
	for _, c := range cases {
		got, err := ComputeJA4(c.rec)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.String() != c.ja4 {
			t.Errorf("%s: JA4 %s, want %s", c.name, got, c.ja4)
		}
		if c.raw != "" {
			var f ja4Fields
			if err := f.parse(c.rec); err != nil {
				t.Fatal(err)
			}
			h := f.head()
			if raw := string(h[:]) + "_" + string(f.cipherList()) + "_" + string(f.extList()); raw != c.raw {
				t.Errorf("%s: JA4_r\n got %s\nwant %s", c.name, raw, c.raw)
			}
		}
	}
}

// The hashes of JA4.md's lists: the sorted ciphers, the extensions without
// signature algorithms, and the original-order lists of JA4_o.
func TestJA4HashGolden(t *testing.T) {
	for list, want := range map[string]string{
		"002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9":                                              "8daaf6152771",
		"0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01":                                                   "6d807ffa2a79",
		"1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035":                                              "acb858a92679",
		"001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601": "18f69afefd3d",
		"": "000000000000",
	} {
		var got [12]byte
		hash12(got[:], []byte(list))
		if string(got[:]) != want {
			t.Errorf("hash of %q = %s, want %s", list, got, want)
		}
	}
}

// The ALPN rules of JA4.md, with its examples of non-alphanumeric values.
func TestJA4ALPN(t *testing.T) {
	for in, want := range map[string]string{
		"h2": "h2", "http/1.1": "h1", "h": "hh", "": "00",
		"\xab": "ab", "\xab\xcd": "ad", "\x30\xab": "3b", "\x30\x31\xab\xcd": "3d", "\x30\xab\xcd\x31": "01",
	} {
		a, b := alpnChars([]byte(in))
		if got := string([]byte{a, b}); got != want {
			t.Errorf("ALPN %q: %s, want %s", in, got, want)
		}
	}
}

// A TLS 1.2 hello without supported_versions, ALPN or signature
// algorithms: the version comes from the hello, the ALPN part is "00",
// the extension hash covers the extensions alone.
func TestJA4TLS12(t *testing.T) {
	rec := handHello("a.example", nil, []uint16{0xc02f, 0x0a0a, 0x009c})
	got, err := ComputeJA4(rec)
	if err != nil {
		t.Fatal(err)
	}
	var want [12]byte
	hash12(want[:], []byte("009c,c02f"))
	var ext [12]byte
	hash12(ext[:], []byte("0017"))
	if s := got.String(); s != "t12d020200_"+string(want[:])+"_"+string(ext[:]) {
		t.Fatalf("JA4 %s", s)
	}
	// No SNI, no extensions at all: "i", and the extension hash is zeros.
	bare := handHello("", nil, []uint16{0x1301})
	bare = fixLengths(bare[:len(bare)-6]) // without the extensions block (its length and extended_master_secret)
	got, err = ComputeJA4(bare)
	if err != nil {
		t.Fatal(err)
	}
	if s := got.String(); !strings.HasPrefix(s, "t12i010000_") || !strings.HasSuffix(s, "_000000000000") {
		t.Fatalf("JA4 of a bare hello %s", s)
	}
}

// The hellos this package builds (shaped like TDLib's) fingerprint
// without error, the same for every random draw: GREASE is ignored.
func TestJA4OfBuiltHellos(t *testing.T) {
	var first JA4
	for seed := range byte(8) {
		rec, _ := buildHello(t, seed, HelloOptions{Domain: testDomain})
		got, err := ComputeJA4(rec)
		if err != nil {
			t.Fatal(err)
		}
		if seed == 0 {
			first = got
			if !strings.HasPrefix(got.String(), "t13d") {
				t.Fatalf("JA4 %s", got)
			}
		} else if got != first {
			t.Fatalf("seed %d: %s, seed 0: %s", seed, got, first)
		}
	}
}

func TestJA4Errors(t *testing.T) {
	good := ja4Hello(chromeCiphers, chromeExts, chromeSigs, chromeVersions, []string{"h2"})
	for name, rec := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-3],
		"not a hello": func() []byte {
			b := append([]byte(nil), good...)
			b[5] = 2
			return b
		}(),
		"trailing": append(append([]byte(nil), good...), 0),
	} {
		if _, err := ComputeJA4(rec); !errors.Is(err, ErrBadHello) {
			t.Errorf("%s: %v, want ErrBadHello", name, err)
		}
	}
}

func FuzzJA4(f *testing.F) {
	f.Add(ja4Hello(chromeCiphers, chromeExts, chromeSigs, chromeVersions, []string{"h2", "http/1.1"}))
	f.Add(handHello("a.b", []byte{1}, []uint16{0x0a0a, 0x1302}))
	rec, _ := buildHello(f, 1, HelloOptions{Domain: testDomain})
	f.Add(rec)
	f.Fuzz(func(t *testing.T, rec []byte) {
		got, err := ComputeJA4(rec)
		if err != nil {
			if !errors.Is(err, ErrBadHello) {
				t.Fatalf("error %v is not ErrBadHello", err)
			}
			if _, perr := ParseClientHello(rec); perr == nil {
				t.Fatalf("ParseClientHello accepts what ComputeJA4 refuses: %v", err)
			}
			return
		}
		s := got.String()
		if s[0] != 't' || s[10] != '_' || s[23] != '_' || strings.Trim(s[11:23]+s[24:], "0123456789abcdef") != "" {
			t.Fatalf("malformed JA4 %q", s)
		}
	})
}

// Malformed extension bodies count as absent, as a dissector would show them.
func TestJA4MalformedExtensionBodies(t *testing.T) {
	rec := ja4Hello(chromeCiphers, []uint16{0x0000, 0x0010, 0x002b}, nil, []uint16{0x0304}, []string{"h2"})
	// Corrupt the ALPN list length (the byte after the ALPN extension header).
	i := strings.Index(string(rec), "\x00\x10\x00\x05\x00\x03")
	if i < 0 {
		t.Fatal("ALPN extension not found")
	}
	rec[i+5] = 9
	got, err := ComputeJA4(rec)
	if err != nil {
		t.Fatal(err)
	}
	if s := got.String(); !strings.HasPrefix(s, "t13d1503"+"00_") {
		t.Fatalf("JA4 %s", s)
	}
}
