package aes256

import "encoding/binary"

// sbox is AES's S-box, computed once from its definition (the
// multiplicative inverse in GF(2^8) followed by the affine transform).
var sbox = func() (s [256]byte) {
	rotl := func(x byte, n uint) byte { return x<<n | x>>(8-n) }
	p, q := byte(1), byte(1)
	for {
		// p walks the field by multiplications by 3, q by divisions by 3,
		// so q is p's inverse.
		p ^= p<<1 ^ byte(int8(p)>>7)&0x1b
		q ^= q << 1
		q ^= q << 2
		q ^= q << 4
		q ^= byte(int8(q)>>7) & 0x09
		s[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63
		if p == 1 {
			break
		}
	}
	s[0] = 0x63
	return s
}()

func subWord(w uint32) uint32 {
	return uint32(sbox[w>>24])<<24 | uint32(sbox[w>>16&0xff])<<16 | uint32(sbox[w>>8&0xff])<<8 | uint32(sbox[w&0xff])
}

// expandKey is the AES-256 key expansion (FIPS 197, 5.2): 15 round keys,
// each in the byte order AES-NI loads a state in.
func expandKey(key []byte) (xk [keyBytes]byte) {
	const nk = 8
	var w [4 * (rounds + 1)]uint32
	for i := range nk {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := nk; i < len(w); i++ {
		t := w[i-1]
		switch i % nk {
		case 0:
			t = subWord(t<<8|t>>24) ^ rcon<<24
			rcon <<= 1
		case 4:
			t = subWord(t)
		}
		w[i] = w[i-nk] ^ t
	}
	for i, v := range w {
		binary.BigEndian.PutUint32(xk[4*i:], v)
	}
	return xk
}

// decryptionKeys are the equivalent inverse cipher's round keys (FIPS 197,
// 5.3.5), in the order AESDEC uses them: the last encryption key first, the
// middle ones through InvMixColumns, the first last.
func decryptionKeys(ek *[keyBytes]byte) (dk [keyBytes]byte) {
	copy(dk[:blockSize], ek[rounds*blockSize:])
	for r := 1; r < rounds; r++ {
		invMixColumns((*[blockSize]byte)(dk[r*blockSize:]), (*[blockSize]byte)(ek[(rounds-r)*blockSize:]))
	}
	copy(dk[rounds*blockSize:], ek[:blockSize])
	return dk
}
