//go:build !amd64 || purego

package aes256

// fast is false: the standard library's CBC and CTR are used.
const fast = false

func cbcEncrypt(xk *[keyBytes]byte, iv *[blockSize]byte, dst, src *byte, n int) {
	panic("aes256: no assembly on this platform")
}

func cbcDecrypt(xk *[keyBytes]byte, iv *[blockSize]byte, dst, src *byte, n int) {
	panic("aes256: no assembly on this platform")
}

func invMixColumns(dst, src *[blockSize]byte) {
	panic("aes256: no assembly on this platform")
}

func ctrXOR(xk *[keyBytes]byte, ctr *[blockSize]byte, dst, src *byte, n int) {
	panic("aes256: no assembly on this platform")
}

// vaes is false: no assembly.
const vaes = false

func ctrXORVAES(xk *[keyBytes]byte, ctr *[blockSize]byte, dst, src *byte, n int) {
	panic("aes256: no assembly on this platform")
}
