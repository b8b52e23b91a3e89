package aes256

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"math"
)

// NewCTR returns an AES-256-CTR stream with key (32 bytes) and iv (16
// bytes), the initial value of a 128-bit big-endian counter: the same
// keystream as crypto/cipher.NewCTR over an AES-256 block.
func NewCTR(key, iv []byte) (cipher.Stream, error) {
	b, err := stdBlock(key, iv)
	if err != nil {
		return nil, err
	}
	if b != nil {
		return cipher.NewCTR(b, iv), nil
	}
	c := &ctr{xk: expandKey(key), used: blockSize}
	copy(c.ctr[:], iv)
	return c, nil
}

// ctr is the AES-NI CTR stream: the encryption round keys, the next
// counter block, and the keystream of the block before it with how much
// of it is used.
type ctr struct {
	xk   [keyBytes]byte
	ctr  [blockSize]byte
	ks   [blockSize]byte
	used int
}

// XORKeyStream XORs src with the keystream into dst. dst may be src (in
// place); otherwise they must not overlap.
func (c *ctr) XORKeyStream(dst, src []byte) {
	if len(dst) < len(src) {
		panic("aes256: output smaller than input")
	}
	if c.used < blockSize && len(src) > 0 {
		n := subtle.XORBytes(dst, src, c.ks[c.used:])
		c.used += n
		dst, src = dst[n:], src[n:]
	}
	if n := c.wide(len(src)); n > 0 {
		ctrXORVAES(&c.xk, &c.ctr, &dst[0], &src[0], n)
		dst, src = dst[n:], src[n:]
	}
	if whole := len(src) &^ (blockSize - 1); whole > 0 {
		ctrXOR(&c.xk, &c.ctr, &dst[0], &src[0], whole)
		dst, src = dst[whole:], src[whole:]
	}
	if len(src) > 0 {
		c.ks = [blockSize]byte{}
		ctrXOR(&c.xk, &c.ctr, &c.ks[0], &c.ks[0], blockSize)
		c.used = subtle.XORBytes(dst, src, c.ks[:])
	}
}

// wide returns how many of n bytes the VAES loop takes: whole groups of 16
// blocks, when VAES is there (and not turned off by useVAES) and the
// counter's low half does not wrap within them (the loop adds 64-bit
// lanes; a wrap, once in 2^64 blocks, takes the AES-NI loop).
func (c *ctr) wide(n int) int {
	if !vaes || !useVAES {
		return 0
	}
	n &^= 16*blockSize - 1
	if lo := binary.BigEndian.Uint64(c.ctr[8:]); n == 0 || lo > math.MaxUint64-uint64(n/blockSize) {
		return 0
	}
	return n
}

// useVAES lets the tests run the AES-NI loop on a CPU with VAES.
var useVAES = true
