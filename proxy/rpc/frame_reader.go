package rpc

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/mtproxy/mtproxy/internal/aes256"
)

// FrameReader reads frames from an io.Reader: it skips padding frames,
// checks the length, the CRC and the sequence number (from SeqNonce on),
// and, once EnableDecryption was called, decrypts AES-256-CBC with the state
// carried across frames.
//
// The ciphertext is decrypted block by block before the frame length is
// known: the reader decrypts just enough whole blocks to cover what it needs
// and keeps the rest of each block as plaintext for the next frame. It reads
// ahead into one reusable buffer (grown to the largest frame seen); bytes
// read ahead while still in plaintext mode are decrypted once encryption is
// enabled, so the switch after the nonce frame loses nothing. Plaintext
// padding words a peer may write right after its nonce frame are skipped.
//
// A FrameReader is not safe for concurrent use. Errors are sticky (the
// stream position is no longer known and the connection must be closed),
// except I/O errors that report Timeout() == true: a read deadline can expire
// and ReadFrame be called again, resuming where it stopped.
type FrameReader struct {
	src io.Reader
	// buf[r:d] is plaintext not yet consumed, buf[d:w] is raw input still
	// to decrypt (empty while in plaintext mode).
	buf     []byte
	r, d, w int
	dec     cipher.BlockMode
	skipPad bool // plaintext padding may precede the first cipher block
	tab     *crc32.Table
	sum     Checksum
	seq     int32
	max     int
	err     error
}

// NewFrameReader returns a reader in the initial state: plaintext, CRC32,
// expecting sequence number SeqNonce.
func NewFrameReader(src io.Reader) *FrameReader {
	return &FrameReader{
		src: src,
		buf: make([]byte, readBufSize),
		tab: ChecksumCRC32.table(),
		seq: SeqNonce,
		max: DefaultMaxFrameSize,
	}
}

// EnableDecryption switches the stream after the last frame returned to
// AES-256-CBC with the given key (32 bytes) and IV (16 bytes), typically
// Keys.ReadKey and Keys.ReadIV after the nonce exchange.
func (fr *FrameReader) EnableDecryption(key, iv []byte) error {
	if fr.dec != nil {
		return ErrAlreadyEncrypted
	}
	dec, err := aes256.NewDecrypter(key, iv)
	if err != nil {
		return ErrKeySize
	}
	fr.dec = dec
	fr.d = fr.r // whatever was read ahead is ciphertext
	fr.skipPad = true
	return nil
}

// SetChecksum selects the CRC expected on frames read from now on.
func (fr *FrameReader) SetChecksum(c Checksum) {
	fr.sum = c
	fr.tab = c.table()
}

// Checksum returns the CRC in use.
func (fr *FrameReader) Checksum() Checksum { return fr.sum }

// SetMaxFrameSize changes the largest length field accepted; n <= 0
// restores DefaultMaxFrameSize.
func (fr *FrameReader) SetMaxFrameSize(n int) {
	if n <= 0 {
		n = DefaultMaxFrameSize
	}
	fr.max = n
}

// Seq returns the sequence number the next frame must carry.
func (fr *FrameReader) Seq() int32 { return fr.seq }

// ReadFrame returns the payload of the next frame (padding frames are
// skipped). The payload aliases the reader's buffer and is valid until the
// next ReadFrame. At a clean end of stream between frames it returns io.EOF;
// a stream cut inside a frame (or, when encrypted, inside a block) gives
// io.ErrUnexpectedEOF.
func (fr *FrameReader) ReadFrame() ([]byte, error) {
	if fr.err != nil {
		return nil, fr.err
	}
	p, err := fr.readFrame()
	if err != nil {
		var t interface{ Timeout() bool }
		if !errors.As(err, &t) || !t.Timeout() {
			fr.err = err
		}
		return nil, err
	}
	return p, nil
}

func (fr *FrameReader) readFrame() ([]byte, error) {
	for {
		if err := fr.need(4, true); err != nil {
			return nil, err
		}
		n := int32(binary.LittleEndian.Uint32(fr.buf[fr.r:]))
		if n == PaddingFrameLen {
			fr.r += 4
			continue
		}
		// The official reader rejects any length below 16; a 12-byte frame
		// (empty payload) is accepted here and left to the message parser.
		if n < FrameOverhead || n%4 != 0 {
			return nil, fmt.Errorf("%w: %d", ErrFrameLength, n)
		}
		if int64(n) > int64(fr.max) {
			return nil, fmt.Errorf("%w: %d bytes, max %d", ErrFrameTooLarge, n, fr.max)
		}
		size := int(n)
		if err := fr.need(size, false); err != nil {
			return nil, err
		}
		f := fr.buf[fr.r : fr.r+size]
		want := binary.LittleEndian.Uint32(f[size-4:])
		if got := crc32.Update(0, fr.tab, f[:size-4]); got != want {
			return nil, fmt.Errorf("%w (%s)", ErrChecksum, fr.sum)
		}
		if seq := int32(binary.LittleEndian.Uint32(f[4:])); seq != fr.seq {
			return nil, fmt.Errorf("%w: got %d, want %d", ErrSeqMismatch, seq, fr.seq)
		}
		fr.seq++
		fr.r += size
		return f[8 : size-4], nil
	}
}

// need makes n plaintext bytes available at buf[r:]. atBoundary tells
// whether running out of input before the first byte is a clean EOF.
func (fr *FrameReader) need(n int, atBoundary bool) error {
	if fr.skipPad {
		if err := fr.skipPlainPadding(atBoundary); err != nil {
			return err
		}
	}
	have := fr.d - fr.r
	if have >= n {
		return nil
	}
	k := n
	if fr.dec != nil {
		// Decrypt whole blocks only.
		k = have + (n-have+blockSize-1)/blockSize*blockSize
	}
	if err := fr.fill(k, atBoundary); err != nil {
		return err
	}
	if fr.dec != nil {
		end := fr.r + k
		fr.dec.CryptBlocks(fr.buf[fr.d:end], fr.buf[fr.d:end])
		fr.d = end
	}
	return nil
}

// skipPlainPadding runs once after EnableDecryption: it drops plaintext
// padding words (04 00 00 00) a peer wrote after its plaintext nonce frame.
// Writers that pad every flush do that (alexbers' and seriyps' frame
// writers), and the official server accepts it when the padding arrived
// with the nonce (it is already in c->in when crypto starts). A genuine
// first cipher block starts with these 4 bytes with probability 2^-32; its
// frame would then fail the length or CRC check.
func (fr *FrameReader) skipPlainPadding(atBoundary bool) error {
	for {
		if err := fr.fill(4, atBoundary); err != nil {
			return err
		}
		if binary.LittleEndian.Uint32(fr.buf[fr.r:]) != PaddingFrameLen {
			fr.skipPad = false
			return nil
		}
		fr.r += 4
		fr.d = fr.r
	}
}

// fill reads until k raw bytes are buffered from r on.
func (fr *FrameReader) fill(k int, atBoundary bool) error {
	if fr.r+k > len(fr.buf) {
		fr.makeRoom(k)
	}
	if fr.w >= fr.r+k {
		return nil
	}
	m, err := io.ReadAtLeast(fr.src, fr.buf[fr.w:], fr.r+k-fr.w)
	fr.w += m
	if fr.dec == nil {
		fr.d = fr.w
	}
	if err == io.EOF {
		if atBoundary && fr.w == fr.r {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	return err
}

// makeRoom moves unconsumed bytes to the front and, if that is not enough,
// grows the buffer so that size bytes from r (plus a block) fit.
func (fr *FrameReader) makeRoom(size int) {
	size += blockSize
	if size > len(fr.buf) {
		// Double, but not far beyond the largest frame allowed.
		n := max(size, min(2*len(fr.buf), fr.max+2*blockSize))
		nb := make([]byte, n)
		copy(nb, fr.buf[fr.r:fr.w])
		fr.buf = nb
	} else {
		copy(fr.buf, fr.buf[fr.r:fr.w])
	}
	fr.d -= fr.r
	fr.w -= fr.r
	fr.r = 0
}
