package obfuscated2

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// maxRolls bounds how many random headers Generate draws before giving up.
// A uniform source is rejected with probability about 2^-8 per draw, so
// reaching the bound means the source is broken.
const maxRolls = 64

// First four bytes (as a little-endian u32) a generated header must not
// start with, because middleboxes or Telegram servers would read them as
// another protocol: HTTP methods, the plain intermediate/padded tags, a TLS
// ClientHello record prefix, and "PVrG" (MTProto over HTTP, which Telethon
// also avoids). 0xefefefef is covered by the first-byte rule.
const (
	wordHEAD         = 0x44414548 // "HEAD"
	wordPOST         = 0x54534f50 // "POST"
	wordGET          = 0x20544547 // "GET "
	wordOPTI         = 0x4954504f // "OPTI"
	wordPVrG         = 0x47725650 // "PVrG"
	wordIntermediate = 0xeeeeeeee
	wordPadded       = 0xdddddddd
	wordTLS          = 0x02010316 // 16 03 01 02
)

// Forbidden reports whether random header bytes must be re-rolled before
// use as a generated header: byte 0 is 0xef (abridged marker), the first
// four bytes spell another protocol, or bytes 4..7 are all zero (the
// unobfuscated "full" transport's sequence number).
func Forbidden(hdr *[HeaderLen]byte) bool { return ImpossiblePrefix(hdr[:]) }

// ImpossiblePrefix reports whether the first bytes of a stream cannot
// start a client's header, applying Forbidden's rules as far as the prefix
// reaches (one byte for the first, four for the words, eight for the zero
// sequence number). Clients re-roll such headers, so a stream starting this
// way is another protocol (an HTTP request, say) and can be told apart
// without waiting for 64 bytes.
func ImpossiblePrefix(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	if p[0] == 0xef {
		return true
	}
	if len(p) >= 4 {
		switch binary.LittleEndian.Uint32(p[:4]) {
		case wordHEAD, wordPOST, wordGET, wordOPTI, wordPVrG, wordIntermediate, wordPadded, wordTLS:
			return true
		}
	}
	return len(p) >= 8 && binary.LittleEndian.Uint32(p[4:8]) == 0
}

// Generate builds a header to send to a peer. secret == nil means no secret
// (proxy -> DC). It returns the 64 bytes to send as they are (bytes 0..55
// random in the clear, 56..63 encrypted), enc (us->peer, positioned after
// the header) and dec (peer->us, positioned at 0). Random bytes are drawn
// from rand and re-rolled while Forbidden; a source that keeps failing
// yields ErrWeakRandom.
func Generate(rand io.Reader, secret *[16]byte, t framing.Transport, dc int16) (hdr [HeaderLen]byte, enc, dec cipher.Stream, err error) {
	if !t.Valid() {
		return hdr, nil, nil, ErrBadTransport
	}
	if err := roll(rand, &hdr); err != nil {
		return [HeaderLen]byte{}, nil, nil, err
	}
	tag := t.Tag()
	copy(hdr[tagOff:], tag[:])
	binary.LittleEndian.PutUint16(hdr[dcOff:], uint16(dc))

	fwd := forwardKey(&hdr, secret)
	rev := reverseKey(&hdr, secret)
	if enc, err = fwd.stream(); err != nil {
		return [HeaderLen]byte{}, nil, nil, err
	}
	if dec, err = rev.stream(); err != nil {
		return [HeaderLen]byte{}, nil, nil, err
	}
	var ct [HeaderLen]byte
	enc.XORKeyStream(ct[:], hdr[:])
	copy(hdr[tagOff:], ct[tagOff:])
	return hdr, enc, dec, nil
}

// roll fills hdr from rand until it is not Forbidden.
func roll(rand io.Reader, hdr *[HeaderLen]byte) error {
	for range maxRolls {
		if _, err := io.ReadFull(rand, hdr[:]); err != nil {
			return fmt.Errorf("obfuscated2: reading random header: %w", err)
		}
		if !Forbidden(hdr) {
			return nil
		}
	}
	return ErrWeakRandom
}
