package mtproto

import (
	"encoding/binary"
	"fmt"
)

// maxBytesLen bounds a TL bytes field this package decodes. The messages it
// parses carry at most 256 bytes in one field; a fuzzed length must not
// make a parser believe in megabytes.
const maxBytesLen = 1 << 16

// AppendBytes appends b in the TL bytes encoding: a length byte and the
// data when len(b) < 254, else 0xfe, a 3-byte little-endian length and the
// data; then zero padding to a multiple of 4 bytes.
func AppendBytes(dst, b []byte) []byte {
	n := len(b)
	head := 1
	if n < 254 {
		dst = append(dst, byte(n))
	} else {
		dst = append(dst, 0xfe, byte(n), byte(n>>8), byte(n>>16))
		head = 4
	}
	dst = append(dst, b...)
	pad := (4 - (head+n)%4) % 4
	return append(dst, make([]byte, pad)...)
}

// readBytes decodes a TL bytes field at the start of b and returns it and
// the rest. The padding must be zero bytes, as every TL writer emits it.
// The value aliases b.
func readBytes(b []byte) (val, rest []byte, err error) {
	if len(b) < 1 {
		return nil, nil, fmt.Errorf("%w: bytes field", ErrShort)
	}
	n, head := int(b[0]), 1
	switch {
	case b[0] == 0xff:
		return nil, nil, fmt.Errorf("%w: length prefix 0xff", ErrBadBytes)
	case b[0] == 0xfe:
		if len(b) < 4 {
			return nil, nil, fmt.Errorf("%w: bytes length", ErrShort)
		}
		n, head = int(b[1])|int(b[2])<<8|int(b[3])<<16, 4
		if n < 254 {
			return nil, nil, fmt.Errorf("%w: long form for %d bytes", ErrBadBytes, n)
		}
	}
	if n > maxBytesLen {
		return nil, nil, fmt.Errorf("%w: %d-byte field", ErrTooLarge, n)
	}
	total := (head + n + 3) &^ 3
	if len(b) < total {
		return nil, nil, fmt.Errorf("%w: %d-byte field", ErrShort, n)
	}
	for _, p := range b[head+n : total] {
		if p != 0 {
			return nil, nil, fmt.Errorf("%w: nonzero padding", ErrBadBytes)
		}
	}
	return b[head : head+n], b[total:], nil
}

// readInt128 reads a 16-byte int128 at the start of b.
func readInt128(b []byte, dst *[16]byte) ([]byte, error) {
	if len(b) < 16 {
		return nil, fmt.Errorf("%w: int128", ErrShort)
	}
	copy(dst[:], b)
	return b[16:], nil
}

// readLong reads a little-endian int64 at the start of b.
func readLong(b []byte) (int64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("%w: long", ErrShort)
	}
	return int64(binary.LittleEndian.Uint64(b)), b[8:], nil
}

// appendBigEndian appends v as the shortest big-endian byte string, the
// form MTProto uses for pq, p and q (zero becomes a single zero byte).
func appendBigEndian(dst []byte, v uint64) []byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	i := 0
	for i < 7 && buf[i] == 0 {
		i++
	}
	return append(dst, buf[i:]...)
}

// bigEndian decodes a big-endian number of at most 8 bytes in the shortest
// form appendBigEndian writes: a leading zero byte is malformed.
func bigEndian(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, fmt.Errorf("%w: %d-byte number", ErrBadBytes, len(b))
	}
	if len(b) > 1 && b[0] == 0 {
		return 0, fmt.Errorf("%w: number with a leading zero byte", ErrBadBytes)
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}
