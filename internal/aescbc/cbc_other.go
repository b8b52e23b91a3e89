//go:build !amd64 || purego

package aescbc

// fast is false: the standard library's CBC is used.
const fast = false

func cbcEncrypt(xk *[keyBytes]byte, iv *[blockSize]byte, dst, src *byte, n int) {
	panic("aescbc: no assembly on this platform")
}

func cbcDecrypt(xk *[keyBytes]byte, iv *[blockSize]byte, dst, src *byte, n int) {
	panic("aescbc: no assembly on this platform")
}

func invMixColumns(dst, src *[blockSize]byte) {
	panic("aescbc: no assembly on this platform")
}
