package aes256

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
)

// What the two modes share: the sizes, the error and the fallback to the
// standard library.

// stdBlock checks the key and IV sizes and, without the assembly, returns the
// standard library's block for key (nil with the assembly).
func stdBlock(key, iv []byte) (cipher.Block, error) {
	if len(key) != 32 || len(iv) != blockSize {
		return nil, ErrKeySize
	}
	if fast {
		return nil, nil
	}
	return aes.NewCipher(key)
}

// ErrKeySize: the key must be 32 bytes (AES-256) and the IV 16.
var ErrKeySize = errors.New("aes256: AES-256 needs a 32-byte key and a 16-byte IV")

const (
	blockSize = aes.BlockSize
	rounds    = 14 // AES-256
	keyBytes  = (rounds + 1) * blockSize
)
