package faketls

import (
	"encoding/binary"
	"io"
)

const (
	mlkemQ              = 3329 // the ML-KEM modulus
	mlkemCoeffs         = 768  // ML-KEM-768: 3 polynomials of 256 coefficients
	mlkemClientShareLen = 1184 + x25519Len
)

// keyShares writes a key_share extension body as TDLib does: a 1-byte share
// for the GREASE group, an X25519MLKEM768 share (an ML-KEM-768 encapsulation
// key, 1184 bytes, then an X25519 key) and an x25519 share.
func keyShares(w *builder, grease uint16) {
	w.open()
	w.u16(grease)
	w.str("\x00\x01\x00")
	w.str("\x11\xec\x04\xc0")
	mlkemEncapsulationKey(w)
	x25519Share(w)
	w.str("\x00\x1d\x00\x20")
	x25519Share(w)
	w.close()
}

// mlkemEncapsulationKey writes an ML-KEM-768 encapsulation key of the right
// form: 768 coefficients below q packed 12 bits each, then a 32-byte seed.
// The coefficients are random rather than derived from a secret; the modulo
// bias does not matter for a test client.
func mlkemEncapsulationKey(w *builder) {
	var src [2 * mlkemCoeffs]byte
	if w.err == nil {
		_, w.err = io.ReadFull(w.rand, src[:])
	}
	for i := 0; i < mlkemCoeffs; i += 2 {
		a := binary.LittleEndian.Uint16(src[2*i:]) % mlkemQ
		b := binary.LittleEndian.Uint16(src[2*i+2:]) % mlkemQ
		w.b = append(w.b, byte(a), byte(a>>8)|byte(b<<4), byte(b>>4))
	}
	w.random(32)
}

// x25519Share writes a fresh X25519 public key.
func x25519Share(w *builder) {
	if w.err != nil {
		w.zeros(x25519Len)
		return
	}
	k, err := x25519PublicKey(w.rand)
	w.err = err
	w.b = append(w.b, k[:]...)
}

// echGrease writes an encrypted_client_hello extension body the way GREASE
// ECH looks as Chrome and TDLib send it: outer, HKDF-SHA256 with AES-128-GCM, a
// random config id, a 32-byte encapsulated key and a random payload of 144,
// 176, 208 or 240 bytes.
func echGrease(w *builder) {
	w.str("\x00\x00\x01\x00\x01")
	w.random(1)
	w.open()
	x25519Share(w)
	w.close()
	var sel [1]byte
	if w.err == nil {
		_, w.err = io.ReadFull(w.rand, sel[:])
	}
	w.open()
	w.random(144 + 32*int(sel[0]%4))
	w.close()
}

// greaseValues returns 7 GREASE values (RFC 8701: 0x?a?a), neighbours in
// each pair (0,1), (2,3), (4,5) distinct as TDLib makes them, so the two
// GREASE extensions never collide.
func greaseValues(rand io.Reader) ([7]uint16, error) {
	var b [7]byte
	var g [7]uint16
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return g, err
	}
	for i := range b {
		b[i] = b[i]&0xf0 | 0x0a
		if i%2 == 1 && b[i] == b[i-1] {
			b[i] ^= 0x10
		}
		g[i] = uint16(b[i])<<8 | uint16(b[i])
	}
	return g, nil
}

// shuffle permutes s (Fisher-Yates) with bytes from rand. A byte modulo a
// count of at most 16 is slightly biased, which a test client can afford.
func shuffle[T any](rand io.Reader, s []T) error {
	r := make([]byte, len(s))
	if _, err := io.ReadFull(rand, r); err != nil {
		return err
	}
	for i := len(s) - 1; i > 0; i-- {
		j := int(r[i]) % (i + 1)
		s[i], s[j] = s[j], s[i]
	}
	return nil
}
