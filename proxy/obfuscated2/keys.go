package obfuscated2

import (
	"crypto/cipher"
	"crypto/sha256"
	"errors"

	"github.com/mtproxy/mtproxy/internal/aes256"
)

// HeaderLen is the size of an obfuscated2 header.
const HeaderLen = 64

// Offsets inside the header.
const (
	keyOff = 8  // 32 bytes of key material
	ivOff  = 40 // 16 bytes of IV
	tagOff = 56 // 4-byte protocol tag
	dcOff  = 60 // int16 LE DC id
	keyLen = 32
	ivLen  = 16
)

// Errors returned by this package.
var (
	// ErrUnknownProtocol means no configured secret decrypts the header to
	// a known protocol tag: the peer is not an MTProto client of ours (or
	// uses a secret we do not have).
	ErrUnknownProtocol = errors.New("obfuscated2: no secret yields a known protocol tag")
	// ErrBadTransport means Generate was asked for an invalid transport.
	ErrBadTransport = errors.New("obfuscated2: invalid transport")
	// ErrWeakRandom means the random source kept producing headers that
	// must be re-rolled; a healthy source essentially never does.
	ErrWeakRandom = errors.New("obfuscated2: random source keeps yielding forbidden headers")
)

// keyIV is the key and initial counter of one direction's AES-256-CTR stream.
type keyIV struct {
	key [keyLen]byte
	iv  [ivLen]byte
}

// forwardKey derives the initiator->acceptor key and IV from hdr.
func forwardKey(hdr *[HeaderLen]byte, secret *[16]byte) keyIV {
	var k keyIV
	deriveKey(&k.key, hdr[keyOff:keyOff+keyLen], secret)
	copy(k.iv[:], hdr[ivOff:ivOff+ivLen])
	return k
}

// reverseKey derives the acceptor->initiator key and IV: the same
// derivation over reverse(hdr[8:56]).
func reverseKey(hdr *[HeaderLen]byte, secret *[16]byte) keyIV {
	var rev [keyLen + ivLen]byte
	for i := range rev {
		rev[i] = hdr[tagOff-1-i]
	}
	var k keyIV
	deriveKey(&k.key, rev[:keyLen], secret)
	copy(k.iv[:], rev[keyLen:])
	return k
}

// deriveKey sets dst to SHA256(material || secret), or to material itself
// when secret is nil.
func deriveKey(dst *[keyLen]byte, material []byte, secret *[16]byte) {
	if secret == nil {
		copy(dst[:], material)
		return
	}
	var buf [keyLen + 16]byte
	copy(buf[:], material)
	copy(buf[keyLen:], secret[:])
	*dst = sha256.Sum256(buf[:])
}

// stream returns the AES-256-CTR stream for k, positioned at 0.
func (k *keyIV) stream() (cipher.Stream, error) {
	return aes256.NewCTR(k.key[:], k.iv[:])
}

// replayKey digests the key material and IV (bytes 8..55), which are sent in
// the clear and identify a handshake independently of any secret.
func replayKey(hdr *[HeaderLen]byte) [16]byte {
	sum := sha256.Sum256(hdr[keyOff:tagOff])
	var k [16]byte
	copy(k[:], sum[:16])
	return k
}
