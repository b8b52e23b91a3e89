package aes256

import "crypto/cipher"

// NewEncrypter returns an AES-256-CBC encrypter with key (32 bytes) and iv
// (16 bytes); the chaining value runs on across CryptBlocks calls.
func NewEncrypter(key, iv []byte) (cipher.BlockMode, error) {
	return newMode(key, iv, true)
}

// NewDecrypter returns an AES-256-CBC decrypter with key (32 bytes) and iv
// (16 bytes); the chaining value runs on across CryptBlocks calls.
func NewDecrypter(key, iv []byte) (cipher.BlockMode, error) {
	return newMode(key, iv, false)
}

func newMode(key, iv []byte, encrypt bool) (cipher.BlockMode, error) {
	b, err := stdBlock(key, iv)
	if err != nil {
		return nil, err
	}
	if b != nil {
		if encrypt {
			return cipher.NewCBCEncrypter(b, iv), nil
		}
		return cipher.NewCBCDecrypter(b, iv), nil
	}
	m := &mode{encrypt: encrypt}
	copy(m.iv[:], iv)
	ek := expandKey(key)
	if encrypt {
		m.xk = ek
	} else {
		m.xk = decryptionKeys(&ek)
	}
	return m, nil
}

// mode is the AES-NI CBC mode: the round keys (encryption keys, or the
// equivalent inverse cipher's decryption keys) and the chaining value.
type mode struct {
	xk      [keyBytes]byte
	iv      [blockSize]byte
	encrypt bool
}

func (m *mode) BlockSize() int { return blockSize }

func (m *mode) CryptBlocks(dst, src []byte) {
	if len(src)%blockSize != 0 {
		panic("aes256: input not full blocks")
	}
	if len(dst) < len(src) {
		panic("aes256: output smaller than input")
	}
	if len(src) == 0 {
		return
	}
	if m.encrypt {
		cbcEncrypt(&m.xk, &m.iv, &dst[0], &src[0], len(src))
	} else {
		cbcDecrypt(&m.xk, &m.iv, &dst[0], &src[0], len(src))
	}
}
