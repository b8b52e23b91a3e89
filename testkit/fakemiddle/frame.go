package fakemiddle

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// maxFrame bounds the frames accepted.
const maxFrame = 4 << 20

// Frame errors.
var (
	errCRC    = errors.New("fakemiddle: frame CRC mismatch")
	errLength = errors.New("fakemiddle: bad frame length")
	errSeq    = errors.New("fakemiddle: bad frame sequence number")
)

// crcFunc computes a frame checksum.
type crcFunc func([]byte) uint32

func crcIEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

func crcC(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

// reader decodes frames: "len | seq | payload | crc" with len counting the
// whole frame and 4-byte frames being padding; after enableCBC the stream
// is AES-256-CBC, decrypted block by block as it arrives.
type reader struct {
	r     io.Reader
	cbc   cipher.BlockMode
	plain []byte // decrypted (or plaintext) bytes not yet consumed
	raw   []byte // ciphertext not yet forming a whole block
	crc   crcFunc
	seq   int32
}

func newReader(r io.Reader) *reader { return &reader{r: r, crc: crcIEEE, seq: -2} }

func (rd *reader) enableCBC(key, iv []byte) error {
	b, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	rd.cbc = cipher.NewCBCDecrypter(b, iv)
	return nil
}

// fill makes at least n plaintext bytes available.
func (rd *reader) fill(n int) error {
	var chunk [32 << 10]byte
	for len(rd.plain) < n {
		if rd.cbc == nil {
			// Plaintext: read only what is needed, never into the
			// encrypted part of the stream.
			need := n - len(rd.plain)
			buf := make([]byte, need)
			if _, err := io.ReadFull(rd.r, buf); err != nil {
				return err
			}
			rd.plain = append(rd.plain, buf...)
			continue
		}
		m, err := rd.r.Read(chunk[:])
		rd.raw = append(rd.raw, chunk[:m]...)
		whole := len(rd.raw) / aes.BlockSize * aes.BlockSize
		if whole > 0 {
			blk := rd.raw[:whole]
			rd.cbc.CryptBlocks(blk, blk)
			rd.plain = append(rd.plain, blk...)
			rd.raw = append(rd.raw[:0], rd.raw[whole:]...)
		}
		if err != nil && len(rd.plain) < n {
			return err
		}
	}
	return nil
}

// next returns the next non-padding frame's payload.
func (rd *reader) next() ([]byte, error) {
	for {
		if err := rd.fill(4); err != nil {
			return nil, err
		}
		n := int(int32(binary.LittleEndian.Uint32(rd.plain)))
		if n == 4 {
			rd.plain = rd.plain[4:]
			continue
		}
		if n < 12 || n%4 != 0 || n > maxFrame {
			return nil, fmt.Errorf("%w: %d", errLength, n)
		}
		if err := rd.fill(n); err != nil {
			return nil, err
		}
		f := rd.plain[:n]
		if got, want := rd.crc(f[:n-4]), binary.LittleEndian.Uint32(f[n-4:]); got != want {
			return nil, errCRC
		}
		if seq := int32(binary.LittleEndian.Uint32(f[4:])); seq != rd.seq {
			return nil, fmt.Errorf("%w: %d, want %d", errSeq, seq, rd.seq)
		}
		rd.seq++
		payload := append([]byte(nil), f[8:n-4]...)
		rd.plain = rd.plain[n:]
		return payload, nil
	}
}

// writer encodes frames, encrypting whole flushes padded to 16 bytes with
// 4-byte padding frames once CBC is on.
type writer struct {
	w   io.Writer
	cbc cipher.BlockMode
	crc crcFunc
	seq int32
	// stalled drops every write from now on: the connection stalled in
	// the middle of a frame (see FaultStallMidFrame).
	stalled bool
}

func newWriter(w io.Writer) *writer { return &writer{w: w, crc: crcIEEE, seq: -2} }

func (wr *writer) enableCBC(key, iv []byte) error {
	b, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	wr.cbc = cipher.NewCBCEncrypter(b, iv)
	return nil
}

// frame appends one frame carrying payload to dst.
func (wr *writer) frame(dst, payload []byte) []byte {
	n := 12 + len(payload)
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(wr.seq))
	dst = append(dst, payload...)
	dst = binary.LittleEndian.AppendUint32(dst, wr.crc(dst[start:]))
	wr.seq++
	return dst
}

// send writes frames (already framed bytes), padding and encrypting them.
func (wr *writer) send(b []byte) error {
	if wr.stalled {
		return nil
	}
	if wr.cbc != nil {
		for len(b)%aes.BlockSize != 0 {
			b = binary.LittleEndian.AppendUint32(b, 4)
		}
		wr.cbc.CryptBlocks(b, b)
	}
	_, err := wr.w.Write(b)
	return err
}

// raw writes bytes as they are (garbage).
func (wr *writer) raw(b []byte) error {
	if wr.stalled {
		return nil
	}
	_, err := wr.w.Write(b)
	return err
}
