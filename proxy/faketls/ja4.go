package faketls

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
)

// JA4Len is the length of a JA4 fingerprint: a 10-character head and two
// 12-character hashes, joined by underscores.
const JA4Len = 36

// JA4 is the JA4 fingerprint of a ClientHello, as FoxIO specifies it
// (technical_details/JA4.md of github.com/FoxIO-LLC/ja4, BSD 3-Clause):
//
//	t13d1516h2_8daaf6152771_e5627efa2ab1
//	│└┤│└┤└┤└┤ └─ cipher hash ┘ └─ extension hash ┘
//	│ │ │ │ │ └ first and last character of the first ALPN value ("00": none)
//	│ │ │ │ └ extensions, GREASE excluded (2 digits, at most 99)
//	│ │ │ └ cipher suites, GREASE excluded
//	│ │ └ "d": an SNI extension is present, "i": none
//	│ └ highest TLS version: supported_versions, else the hello's version
//	└ "t": TLS over TCP (the only transport a FakeTLS client uses)
//
// The cipher hash is the first 12 hex digits of the SHA-256 of the sorted,
// comma-separated 4-digit hex cipher suites; the extension hash that of the
// sorted extensions without SNI and ALPN, then "_" and the signature
// algorithms in wire order (no "_" when there are none). An empty list
// hashes to 12 zeros. GREASE values (RFC 8701) are ignored everywhere.
//
// A JA4 says which TLS library built the hello, never who sent it or with
// which secret: it is safe as a metric label, given a bound on how many
// distinct values are kept.
type JA4 [JA4Len]byte

// String returns the fingerprint as text.
func (f JA4) String() string { return string(f[:]) }

// TLS extension types JA4 looks into.
const (
	extALPN              = 0x0010
	extSignatureAlgs     = 0x000d
	extSupportedVersions = 0x002b
)

// ja4Fields are the parts of a ClientHello JA4 is computed from, GREASE
// removed, in wire order.
type ja4Fields struct {
	version uint16
	sni     bool
	alpn    []byte // the first ALPN protocol name; nil when absent
	ciphers []uint16
	exts    []uint16
	sigs    []uint16
}

// ComputeJA4 returns the JA4 fingerprint of a ClientHello framed as one
// record (as ReadClientHello returns it). Unlike ParseClientHello it
// accepts any legacy version, since a fingerprint is wanted for every
// hello, usable or not. A record that does not frame a ClientHello, or
// whose vectors are inconsistent, gives ErrBadHello.
func ComputeJA4(record []byte) (JA4, error) {
	var f ja4Fields
	if err := f.parse(record); err != nil {
		return JA4{}, err
	}
	var out JA4
	head := f.head()
	n := copy(out[:], head[:])
	out[n] = '_'
	n++
	n += hash12(out[n:], f.cipherList())
	out[n] = '_'
	hash12(out[n+1:], f.extList())
	return out, nil
}

func (f *ja4Fields) parse(record []byte) error {
	c := cursor(record)
	typ, _ := c.u8()
	_, _ = c.u16()
	body, ok := c.vec16()
	if !ok || len(c) != 0 || typ != TypeHandshake {
		return fmt.Errorf("%w: record framing", ErrBadHello)
	}
	htyp, _ := body.u8()
	msg, ok := body.vec24()
	if !ok || len(body) != 0 || htyp != typeClientHello {
		return fmt.Errorf("%w: handshake framing", ErrBadHello)
	}
	version, ok := msg.u16()
	_, ok2 := msg.bytes(randomLen)
	_, ok3 := msg.vec8()
	suites, ok4 := msg.vec16()
	_, ok5 := msg.vec8()
	if !ok || !ok2 || !ok3 || !ok4 || !ok5 || len(suites)%2 != 0 {
		return fmt.Errorf("%w: truncated", ErrBadHello)
	}
	f.version = version
	f.ciphers = appendU16s(f.ciphers, suites)
	if len(msg) == 0 {
		return nil
	}
	exts, ok := msg.vec16()
	if !ok || len(msg) != 0 {
		return fmt.Errorf("%w: extensions block", ErrBadHello)
	}
	for len(exts) > 0 {
		typ, ok := exts.u16()
		data, ok2 := exts.vec16()
		if !ok || !ok2 {
			return fmt.Errorf("%w: extension framing", ErrBadHello)
		}
		if isGREASE(typ) {
			continue
		}
		f.exts = append(f.exts, typ)
		f.extension(typ, data)
	}
	return nil
}

// extension reads what JA4 needs from one extension's body. A malformed
// body counts as absent: the fingerprint describes what a parser can see,
// and ParseClientHello, not JA4, decides whether a hello is usable.
func (f *ja4Fields) extension(typ uint16, data cursor) {
	switch typ {
	case extServerName:
		f.sni = true
	case extALPN:
		list, ok := data.vec16()
		if name, ok2 := list.vec8(); ok && ok2 && len(data) == 0 {
			f.alpn = name
		}
	case extSupportedVersions:
		list, ok := data.vec8()
		if !ok || len(data) != 0 || len(list)%2 != 0 || len(list) == 0 {
			return
		}
		f.version = 0
		for ; len(list) > 0; list = list[2:] {
			if v := uint16(list[0])<<8 | uint16(list[1]); !isGREASE(v) && v > f.version {
				f.version = v
			}
		}
	case extSignatureAlgs:
		if list, ok := data.vec16(); ok && len(data) == 0 && len(list)%2 == 0 {
			f.sigs = appendU16s(f.sigs, list)
		}
	}
}

// appendU16s appends the non-GREASE big-endian values of b (of even length).
func appendU16s(dst []uint16, b []byte) []uint16 {
	for ; len(b) >= 2; b = b[2:] {
		if v := uint16(b[0])<<8 | uint16(b[1]); !isGREASE(v) {
			dst = append(dst, v)
		}
	}
	return dst
}

// isGREASE reports the 16 GREASE values of RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa.
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// head is the fingerprint's first part, e.g. "t13d1516h2".
func (f *ja4Fields) head() [10]byte {
	h := [10]byte{'t'}
	v := versionCode(f.version)
	h[1], h[2] = v[0], v[1]
	h[3] = 'i'
	if f.sni {
		h[3] = 'd'
	}
	twoDigits(h[4:6], len(f.ciphers))
	twoDigits(h[6:8], len(f.exts))
	h[8], h[9] = alpnChars(f.alpn)
	return h
}

func versionCode(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func twoDigits(dst []byte, n int) {
	n = min(n, 99)
	dst[0], dst[1] = byte('0'+n/10), byte('0'+n%10)
}

// alpnChars returns the first and last character of the first ALPN value,
// or of its hex form when either is not an ASCII letter or digit; "00"
// when there is none.
func alpnChars(a []byte) (byte, byte) {
	if len(a) == 0 {
		return '0', '0'
	}
	first, last := a[0], a[len(a)-1]
	if alnum(first) && alnum(last) {
		return first, last
	}
	const digits = "0123456789abcdef"
	return digits[first>>4], digits[last&0x0f]
}

func alnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
}

// cipherList is the text the cipher hash covers: the sorted cipher suites.
func (f *ja4Fields) cipherList() []byte {
	s := slices.Clone(f.ciphers)
	slices.Sort(s)
	return appendHexList(nil, s)
}

// extList is the text the extension hash covers: the sorted extensions
// without SNI and ALPN, then the signature algorithms in wire order.
func (f *ja4Fields) extList() []byte {
	s := make([]uint16, 0, len(f.exts))
	for _, e := range f.exts {
		if e != extServerName && e != extALPN {
			s = append(s, e)
		}
	}
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	b := appendHexList(nil, s)
	if len(f.sigs) > 0 {
		b = appendHexList(append(b, '_'), f.sigs)
	}
	return b
}

// appendHexList appends vs as comma-separated 4-digit lower-case hex.
func appendHexList(dst []byte, vs []uint16) []byte {
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = hex.AppendEncode(dst, []byte{byte(v >> 8), byte(v)})
	}
	return dst
}

// hash12 writes the first 12 hex digits of SHA-256(list) to dst, or 12
// zeros for an empty list, and returns 12.
func hash12(dst []byte, list []byte) int {
	if len(list) == 0 {
		return copy(dst, "000000000000")
	}
	sum := sha256.Sum256(list)
	hex.Encode(dst[:12], sum[:6])
	return 12
}
