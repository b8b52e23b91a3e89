package faketls

import (
	"crypto/sha256"
	"hash"
)

const (
	ipad = 0x36
	opad = 0x5c
)

// mac computes HMAC-SHA256 (RFC 2104) keyed with 16-byte proxy secrets on one
// reusable SHA-256 state, so trying many secrets costs no allocation per
// secret. A key shorter than the 64-byte block is zero padded, as RFC 2104
// says; the tests check it against crypto/hmac.
type mac struct {
	h    hash.Hash
	key  [16]byte
	blk  [sha256.BlockSize]byte
	sum  [sha256.Size]byte
	zero [randomLen]byte // stands in for the random being authenticated
}

func newMAC() *mac { return &mac{h: sha256.New()} }

// reset starts a MAC under key.
func (m *mac) reset(key *[16]byte) {
	m.key = *key
	m.h.Reset()
	m.h.Write(m.padded(ipad))
}

func (m *mac) write(p []byte) { m.h.Write(p) }

// writeZeroed writes b with the 32 random bytes at randomOffset zeroed,
// without copying b. len(b) must exceed randomOffset+randomLen-1.
func (m *mac) writeZeroed(b []byte) {
	m.h.Write(b[:randomOffset])
	m.h.Write(m.zero[:])
	m.h.Write(b[randomOffset+randomLen:])
}

// finish returns the MAC; it stays valid until the next reset.
func (m *mac) finish() *[sha256.Size]byte {
	inner := m.h.Sum(m.sum[:0])
	m.h.Reset()
	m.h.Write(m.padded(opad))
	m.h.Write(inner)
	m.h.Sum(m.sum[:0])
	return &m.sum
}

func (m *mac) padded(pad byte) []byte {
	for i := range m.blk {
		m.blk[i] = pad
	}
	for i, k := range m.key {
		m.blk[i] ^= k
	}
	return m.blk[:]
}
