package faketls

import (
	"crypto/ecdh"
	"fmt"
	"io"
)

const x25519Len = 32

// x25519PublicKey returns the public key of an X25519 private key read from
// rand. A real public key, unlike 32 random bytes, is always a point on the
// curve, not on its twist: a passive observer cannot tell it from a real
// server's or client's key share.
func x25519PublicKey(rand io.Reader) ([x25519Len]byte, error) {
	var k [x25519Len]byte
	if _, err := io.ReadFull(rand, k[:]); err != nil {
		return k, err
	}
	priv, err := ecdh.X25519().NewPrivateKey(k[:])
	if err != nil {
		return k, fmt.Errorf("faketls: x25519: %w", err)
	}
	copy(k[:], priv.PublicKey().Bytes())
	return k, nil
}
