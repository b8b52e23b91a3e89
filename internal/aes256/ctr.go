package aes256

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// NewCTR returns an AES-256-CTR stream with key (32 bytes) and iv (16
// bytes), the initial value of a 128-bit big-endian counter: the same
// keystream as crypto/cipher.NewCTR over an AES-256 block.
func NewCTR(key, iv []byte) (cipher.Stream, error) {
	if len(key) != 32 || len(iv) != blockSize {
		return nil, ErrKeySize
	}
	if !fast {
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
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
