//go:build amd64 && !purego

package aes256

import "golang.org/x/sys/cpu"

// fast: AES-NI is there (CPUID.1:ECX.AES[bit 25]).
var fast = hasAESNI()

//go:noescape
func hasAESNI() bool

// cbcEncrypt encrypts n bytes (whole blocks, n > 0) from src to dst with
// the 15 round keys xk, chaining from iv, and leaves the last block in iv.
//
//go:noescape
func cbcEncrypt(xk *[keyBytes]byte, iv *[blockSize]byte, dst, src *byte, n int)

// cbcDecrypt decrypts n bytes (whole blocks, n > 0) from src to dst (which
// may be src) with the decryption round keys xk, chaining from iv, and
// leaves the last ciphertext block in iv.
//
//go:noescape
func cbcDecrypt(xk *[keyBytes]byte, iv *[blockSize]byte, dst, src *byte, n int)

// invMixColumns is AESIMC: dst = InvMixColumns(src).
//
//go:noescape
func invMixColumns(dst, src *[blockSize]byte)

// ctrXOR XORs n bytes (whole blocks, n > 0) from src into dst (which may
// be src) with the AES-CTR keystream of the 15 round keys xk, starting at
// the big-endian counter block ctr, and leaves the next counter in ctr.
//
//go:noescape
func ctrXOR(xk *[keyBytes]byte, ctr *[blockSize]byte, dst, src *byte, n int)

// vaes: VAES on 512-bit registers is there and the OS saves them
// (AVX-512 F and BW for the moves, shuffles and adds). CTR then runs
// sixteen blocks at a time (ctrXORVAES), twice the throughput of AES-NI's
// eight on the CPUs that have it.
var vaes = fast && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VAES

// ctrXORVAES is ctrXOR for n a multiple of 256 whose counter's low 64
// bits do not wrap within the n bytes.
//
//go:noescape
func ctrXORVAES(xk *[keyBytes]byte, ctr *[blockSize]byte, dst, src *byte, n int)
