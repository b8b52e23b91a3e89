//go:build amd64 && !purego

#include "textflag.h"

// func hasAESNI() bool
TEXT ·hasAESNI(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $25, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// func cbcEncrypt(xk *[240]byte, iv *[16]byte, dst, src *byte, n int)
// X0 the state, X1 the next plaintext block XORed with round key 0, X14
// scratch, X2..X13 round keys 1..12, X15 round key 14; round keys 0 and
// 13 are loaded per block. CBC encryption is one chain of AESENCs, block
// after block: the XOR of the next plaintext block (and of round key 0)
// is folded into the last round's key, so the chain is the 14 rounds and
// nothing else; the ciphertext comes off the chain.
TEXT ·cbcEncrypt(SB), NOSPLIT, $0-40
	MOVQ xk+0(FP), AX
	MOVQ iv+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ n+32(FP), DX
	MOVUPS 16(AX), X2
	MOVUPS 32(AX), X3
	MOVUPS 48(AX), X4
	MOVUPS 64(AX), X5
	MOVUPS 80(AX), X6
	MOVUPS 96(AX), X7
	MOVUPS 112(AX), X8
	MOVUPS 128(AX), X9
	MOVUPS 144(AX), X10
	MOVUPS 160(AX), X11
	MOVUPS 176(AX), X12
	MOVUPS 192(AX), X13
	MOVUPS 224(AX), X15
	// X0 = iv ^ p0 ^ k0: the first block's state after round 0.
	MOVUPS (R8), X0
	MOVUPS (SI), X1
	PXOR X1, X0
	MOVUPS (AX), X1
	PXOR X1, X0
encloop:
	MOVUPS 208(AX), X14
	AESENC X2, X0
	AESENC X3, X0
	AESENC X4, X0
	AESENC X5, X0
	AESENC X6, X0
	AESENC X7, X0
	AESENC X8, X0
	AESENC X9, X0
	AESENC X10, X0
	AESENC X11, X0
	AESENC X12, X0
	AESENC X13, X0
	AESENC X14, X0
	SUBQ $16, DX
	JZ enclast
	// X1 = p(i+1) ^ k0; the last round with key k14 ^ X1 leaves
	// c(i) ^ X1 in X0, which is block i+1's state after round 0, and
	// c(i) = X0 ^ X1.
	MOVUPS 16(SI), X1
	MOVUPS (AX), X14
	PXOR X14, X1
	MOVOU X1, X14
	PXOR X15, X14
	AESENCLAST X14, X0
	MOVOU X0, X14
	PXOR X1, X14
	MOVUPS X14, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	JMP encloop
enclast:
	AESENCLAST X15, X0
	MOVUPS X0, (DI)
	MOVUPS X0, (R8)
	RET

// func cbcDecrypt(xk *[240]byte, iv *[16]byte, dst, src *byte, n int)
// X0..X3 four blocks, X4 and X6 scratch, X5 the previous ciphertext,
// X7 round key 0, X8..X14 round keys 1..7, X15 round key 14; keys 8..13
// are loaded per group. Every ciphertext a group needs is loaded before
// its plaintext is stored, so dst may be src.
TEXT ·cbcDecrypt(SB), NOSPLIT, $0-40
	MOVQ xk+0(FP), AX
	MOVQ iv+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ n+32(FP), DX
	MOVUPS (R8), X5
	MOVUPS (AX), X7
	MOVUPS 16(AX), X8
	MOVUPS 32(AX), X9
	MOVUPS 48(AX), X10
	MOVUPS 64(AX), X11
	MOVUPS 80(AX), X12
	MOVUPS 96(AX), X13
	MOVUPS 112(AX), X14
	MOVUPS 224(AX), X15
	CMPQ DX, $64
	JB single
quad:
	MOVUPS 0(SI), X0
	MOVUPS 16(SI), X1
	MOVUPS 32(SI), X2
	MOVUPS 48(SI), X3
	PXOR X7, X0
	PXOR X7, X1
	PXOR X7, X2
	PXOR X7, X3
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X9, X0
	AESDEC X9, X1
	AESDEC X9, X2
	AESDEC X9, X3
	AESDEC X10, X0
	AESDEC X10, X1
	AESDEC X10, X2
	AESDEC X10, X3
	AESDEC X11, X0
	AESDEC X11, X1
	AESDEC X11, X2
	AESDEC X11, X3
	AESDEC X12, X0
	AESDEC X12, X1
	AESDEC X12, X2
	AESDEC X12, X3
	AESDEC X13, X0
	AESDEC X13, X1
	AESDEC X13, X2
	AESDEC X13, X3
	AESDEC X14, X0
	AESDEC X14, X1
	AESDEC X14, X2
	AESDEC X14, X3
	MOVUPS 128(AX), X4
	AESDEC X4, X0
	AESDEC X4, X1
	AESDEC X4, X2
	AESDEC X4, X3
	MOVUPS 144(AX), X4
	AESDEC X4, X0
	AESDEC X4, X1
	AESDEC X4, X2
	AESDEC X4, X3
	MOVUPS 160(AX), X4
	AESDEC X4, X0
	AESDEC X4, X1
	AESDEC X4, X2
	AESDEC X4, X3
	MOVUPS 176(AX), X4
	AESDEC X4, X0
	AESDEC X4, X1
	AESDEC X4, X2
	AESDEC X4, X3
	MOVUPS 192(AX), X4
	AESDEC X4, X0
	AESDEC X4, X1
	AESDEC X4, X2
	AESDEC X4, X3
	MOVUPS 208(AX), X4
	AESDEC X4, X0
	AESDEC X4, X1
	AESDEC X4, X2
	AESDEC X4, X3
	AESDECLAST X15, X0
	AESDECLAST X15, X1
	AESDECLAST X15, X2
	AESDECLAST X15, X3
	PXOR X5, X0
	MOVUPS 0(SI), X6
	PXOR X6, X1
	MOVUPS 16(SI), X6
	PXOR X6, X2
	MOVUPS 32(SI), X6
	PXOR X6, X3
	MOVUPS 48(SI), X5
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $64, DX
	CMPQ DX, $64
	JAE quad
single:
	TESTQ DX, DX
	JZ done
	MOVUPS (SI), X0
	MOVO X0, X6
	PXOR X7, X0
	AESDEC X8, X0
	AESDEC X9, X0
	AESDEC X10, X0
	AESDEC X11, X0
	AESDEC X12, X0
	AESDEC X13, X0
	AESDEC X14, X0
	MOVUPS 128(AX), X4
	AESDEC X4, X0
	MOVUPS 144(AX), X4
	AESDEC X4, X0
	MOVUPS 160(AX), X4
	AESDEC X4, X0
	MOVUPS 176(AX), X4
	AESDEC X4, X0
	MOVUPS 192(AX), X4
	AESDEC X4, X0
	MOVUPS 208(AX), X4
	AESDEC X4, X0
	AESDECLAST X15, X0
	PXOR X5, X0
	MOVO X6, X5
	MOVUPS X0, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $16, DX
	JMP single
done:
	MOVUPS X5, (R8)
	RET

// func invMixColumns(dst, src *[16]byte)
TEXT ·invMixColumns(SB), NOSPLIT, $0-16
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVUPS (SI), X0
	AESIMC X0, X1
	MOVUPS X1, (DI)
	RET

// CTRBLOCK sets X to the counter block of hi:lo (R9:R10, native order),
// XORed with round key 0 (X15), and steps the 128-bit counter.
#define CTRBLOCK(X) \
	MOVQ R9, R11 \
	BSWAPQ R11 \
	MOVQ R10, R12 \
	BSWAPQ R12 \
	MOVQ R11, X \
	PINSRQ $1, R12, X \
	PXOR X15, X \
	ADDQ $1, R10 \
	ADCQ $0, R9

// ROUND8 runs one AESENC round with the key at off(AX) over X0..X7.
#define ROUND8(off) \
	MOVUPS off(AX), X8 \
	AESENC X8, X0 \
	AESENC X8, X1 \
	AESENC X8, X2 \
	AESENC X8, X3 \
	AESENC X8, X4 \
	AESENC X8, X5 \
	AESENC X8, X6 \
	AESENC X8, X7

// XORSTORE XORs the source block at off(SI) into X and stores it at off(DI).
#define XORSTORE(X, off) \
	MOVUPS off(SI), X9 \
	PXOR X9, X \
	MOVUPS X, off(DI)

// func ctrXOR(xk *[240]byte, ctr *[16]byte, dst, src *byte, n int)
// R9:R10 the counter (high and low halves, native order), X0..X7 eight
// blocks, X8 and X9 scratch, X15 round key 0. Each block's source is
// loaded before its result is stored, so dst may be src.
TEXT ·ctrXOR(SB), NOSPLIT, $0-40
	MOVQ xk+0(FP), AX
	MOVQ ctr+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ n+32(FP), DX
	MOVQ 0(R8), R9
	BSWAPQ R9
	MOVQ 8(R8), R10
	BSWAPQ R10
	MOVUPS (AX), X15
	CMPQ DX, $128
	JB ctrsingle
ctroct:
	CTRBLOCK(X0)
	CTRBLOCK(X1)
	CTRBLOCK(X2)
	CTRBLOCK(X3)
	CTRBLOCK(X4)
	CTRBLOCK(X5)
	CTRBLOCK(X6)
	CTRBLOCK(X7)
	ROUND8(16)
	ROUND8(32)
	ROUND8(48)
	ROUND8(64)
	ROUND8(80)
	ROUND8(96)
	ROUND8(112)
	ROUND8(128)
	ROUND8(144)
	ROUND8(160)
	ROUND8(176)
	ROUND8(192)
	ROUND8(208)
	MOVUPS 224(AX), X8
	AESENCLAST X8, X0
	AESENCLAST X8, X1
	AESENCLAST X8, X2
	AESENCLAST X8, X3
	AESENCLAST X8, X4
	AESENCLAST X8, X5
	AESENCLAST X8, X6
	AESENCLAST X8, X7
	XORSTORE(X0, 0)
	XORSTORE(X1, 16)
	XORSTORE(X2, 32)
	XORSTORE(X3, 48)
	XORSTORE(X4, 64)
	XORSTORE(X5, 80)
	XORSTORE(X6, 96)
	XORSTORE(X7, 112)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $128, DX
	CMPQ DX, $128
	JAE ctroct
ctrsingle:
	TESTQ DX, DX
	JZ ctrdone
	CTRBLOCK(X0)
	MOVUPS 16(AX), X8
	AESENC X8, X0
	MOVUPS 32(AX), X8
	AESENC X8, X0
	MOVUPS 48(AX), X8
	AESENC X8, X0
	MOVUPS 64(AX), X8
	AESENC X8, X0
	MOVUPS 80(AX), X8
	AESENC X8, X0
	MOVUPS 96(AX), X8
	AESENC X8, X0
	MOVUPS 112(AX), X8
	AESENC X8, X0
	MOVUPS 128(AX), X8
	AESENC X8, X0
	MOVUPS 144(AX), X8
	AESENC X8, X0
	MOVUPS 160(AX), X8
	AESENC X8, X0
	MOVUPS 176(AX), X8
	AESENC X8, X0
	MOVUPS 192(AX), X8
	AESENC X8, X0
	MOVUPS 208(AX), X8
	AESENC X8, X0
	MOVUPS 224(AX), X8
	AESENCLAST X8, X0
	XORSTORE(X0, 0)
	ADDQ $16, SI
	ADDQ $16, DI
	SUBQ $16, DX
	JMP ctrsingle
ctrdone:
	BSWAPQ R9
	MOVQ R9, 0(R8)
	BSWAPQ R10
	MOVQ R10, 8(R8)
	RET

// Byte reversal within each 128-bit lane (VPSHUFB control), and the lane
// offsets 0..3 and the step of 4 blocks added to the counters' low halves.
DATA ctrRev<>+0x00(SB)/8, $0x08090a0b0c0d0e0f
DATA ctrRev<>+0x08(SB)/8, $0x0001020304050607
DATA ctrRev<>+0x10(SB)/8, $0x08090a0b0c0d0e0f
DATA ctrRev<>+0x18(SB)/8, $0x0001020304050607
DATA ctrRev<>+0x20(SB)/8, $0x08090a0b0c0d0e0f
DATA ctrRev<>+0x28(SB)/8, $0x0001020304050607
DATA ctrRev<>+0x30(SB)/8, $0x08090a0b0c0d0e0f
DATA ctrRev<>+0x38(SB)/8, $0x0001020304050607
GLOBL ctrRev<>(SB), RODATA|NOPTR, $64

DATA ctrLanes<>+0x00(SB)/8, $0
DATA ctrLanes<>+0x08(SB)/8, $0
DATA ctrLanes<>+0x10(SB)/8, $1
DATA ctrLanes<>+0x18(SB)/8, $0
DATA ctrLanes<>+0x20(SB)/8, $2
DATA ctrLanes<>+0x28(SB)/8, $0
DATA ctrLanes<>+0x30(SB)/8, $3
DATA ctrLanes<>+0x38(SB)/8, $0
GLOBL ctrLanes<>(SB), RODATA|NOPTR, $64

DATA ctrFour<>+0x00(SB)/8, $4
DATA ctrFour<>+0x08(SB)/8, $0
DATA ctrFour<>+0x10(SB)/8, $4
DATA ctrFour<>+0x18(SB)/8, $0
DATA ctrFour<>+0x20(SB)/8, $4
DATA ctrFour<>+0x28(SB)/8, $0
DATA ctrFour<>+0x30(SB)/8, $4
DATA ctrFour<>+0x38(SB)/8, $0
GLOBL ctrFour<>(SB), RODATA|NOPTR, $64

// VROUND4 runs one VAESENC round with the broadcast key K over Z4..Z7.
#define VROUND4(K) \
	VAESENC K, Z4, Z4 \
	VAESENC K, Z5, Z5 \
	VAESENC K, Z6, Z6 \
	VAESENC K, Z7, Z7

// func ctrXORVAES(xk *[240]byte, ctr *[16]byte, dst, src *byte, n int)
// Sixteen blocks per loop, four to a 512-bit register, with VAES. n is a
// multiple of 256 and the counter's low half must not carry within the n
// bytes (the caller checks): the low halves are added as 64-bit lanes.
// Z0 the next counters (little-endian, one per lane), Z1 the step of 4,
// Z2 the byte-reversal control, Z3 scratch, Z4..Z7 sixteen blocks, Z16..Z30
// the 15 round keys broadcast to the four lanes.
TEXT ·ctrXORVAES(SB), NOSPLIT, $0-40
	MOVQ xk+0(FP), AX
	MOVQ ctr+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ src+24(FP), SI
	MOVQ n+32(FP), DX
	VMOVDQU64 ctrRev<>(SB), Z2
	VMOVDQU64 ctrFour<>(SB), Z1
	VBROADCASTI32X4 (R8), Z0
	VPSHUFB Z2, Z0, Z0
	VPADDQ ctrLanes<>(SB), Z0, Z0
	VBROADCASTI32X4 0(AX), Z16
	VBROADCASTI32X4 16(AX), Z17
	VBROADCASTI32X4 32(AX), Z18
	VBROADCASTI32X4 48(AX), Z19
	VBROADCASTI32X4 64(AX), Z20
	VBROADCASTI32X4 80(AX), Z21
	VBROADCASTI32X4 96(AX), Z22
	VBROADCASTI32X4 112(AX), Z23
	VBROADCASTI32X4 128(AX), Z24
	VBROADCASTI32X4 144(AX), Z25
	VBROADCASTI32X4 160(AX), Z26
	VBROADCASTI32X4 176(AX), Z27
	VBROADCASTI32X4 192(AX), Z28
	VBROADCASTI32X4 208(AX), Z29
	VBROADCASTI32X4 224(AX), Z30
vaesloop:
	VPSHUFB Z2, Z0, Z4
	VPADDQ Z1, Z0, Z0
	VPSHUFB Z2, Z0, Z5
	VPADDQ Z1, Z0, Z0
	VPSHUFB Z2, Z0, Z6
	VPADDQ Z1, Z0, Z0
	VPSHUFB Z2, Z0, Z7
	VPADDQ Z1, Z0, Z0
	VPXORQ Z16, Z4, Z4
	VPXORQ Z16, Z5, Z5
	VPXORQ Z16, Z6, Z6
	VPXORQ Z16, Z7, Z7
	VROUND4(Z17)
	VROUND4(Z18)
	VROUND4(Z19)
	VROUND4(Z20)
	VROUND4(Z21)
	VROUND4(Z22)
	VROUND4(Z23)
	VROUND4(Z24)
	VROUND4(Z25)
	VROUND4(Z26)
	VROUND4(Z27)
	VROUND4(Z28)
	VROUND4(Z29)
	VAESENCLAST Z30, Z4, Z4
	VAESENCLAST Z30, Z5, Z5
	VAESENCLAST Z30, Z6, Z6
	VAESENCLAST Z30, Z7, Z7
	VPXORQ 0(SI), Z4, Z4
	VPXORQ 64(SI), Z5, Z5
	VPXORQ 128(SI), Z6, Z6
	VPXORQ 192(SI), Z7, Z7
	VMOVDQU64 Z4, 0(DI)
	VMOVDQU64 Z5, 64(DI)
	VMOVDQU64 Z6, 128(DI)
	VMOVDQU64 Z7, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $256, DX
	JNZ vaesloop
	// The next counter is lane 0 of Z0, back to big-endian.
	VPSHUFB Z2, Z0, Z0
	VMOVDQU X0, (R8)
	VZEROUPPER
	RET
