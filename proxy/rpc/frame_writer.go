package rpc

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/mtproxy/mtproxy/internal/aes256"
)

// FrameWriter frames payloads onto an io.Writer: sequence numbers from -2,
// the CRC, and, once EnableEncryption was called, AES-256-CBC with the
// cipher state carried across frames and each flush padded to a whole block
// with 4-byte padding frames (04 00 00 00), as tcp_rpc_flush does in
// net/net-tcp-rpc-common.c.
//
// Frames are queued in one reusable buffer and written with a single Write
// per Flush, so several frames can share a syscall; WriteFrame is QueueFrame
// plus Flush. In steady state nothing is allocated.
//
// A FrameWriter is not safe for concurrent use. After a failed Write the
// peer's view of the stream is unknown (the CBC state and sequence numbers
// have moved on), so the error is sticky: every later call returns it.
type FrameWriter struct {
	w       io.Writer
	buf     []byte // queued output; buf[encFrom:] is plaintext still to encrypt
	encFrom int
	enc     cipher.BlockMode
	tab     *crc32.Table
	sum     Checksum
	seq     int32
	max     int
	err     error
}

// NewFrameWriter returns a writer in the initial state: plaintext, CRC32,
// next sequence number SeqNonce.
func NewFrameWriter(w io.Writer) *FrameWriter {
	return &FrameWriter{
		w:   w,
		buf: make([]byte, 0, writeBufSize),
		tab: ChecksumCRC32.table(),
		seq: SeqNonce,
		max: DefaultMaxFrameSize,
	}
}

// EnableEncryption switches frames queued from now on to AES-256-CBC with
// the given key (32 bytes) and IV (16 bytes), typically Keys.WriteKey and
// Keys.WriteIV after the nonce exchange. Frames queued before stay plaintext.
func (fw *FrameWriter) EnableEncryption(key, iv []byte) error {
	if fw.enc != nil {
		return ErrAlreadyEncrypted
	}
	enc, err := aes256.NewEncrypter(key, iv)
	if err != nil {
		return ErrKeySize
	}
	fw.enc = enc
	fw.encFrom = len(fw.buf)
	return nil
}

// SetChecksum selects the CRC for frames queued from now on.
func (fw *FrameWriter) SetChecksum(c Checksum) {
	fw.sum = c
	fw.tab = c.table()
}

// Checksum returns the CRC in use.
func (fw *FrameWriter) Checksum() Checksum { return fw.sum }

// SetMaxFrameSize changes the largest frame (length field) QueueFrame
// accepts; n <= 0 restores DefaultMaxFrameSize.
func (fw *FrameWriter) SetMaxFrameSize(n int) {
	if n <= 0 {
		n = DefaultMaxFrameSize
	}
	fw.max = n
}

// Seq returns the sequence number the next frame will carry.
func (fw *FrameWriter) Seq() int32 { return fw.seq }

// Buffered returns the number of queued bytes not yet written.
func (fw *FrameWriter) Buffered() int { return len(fw.buf) }

// Payload returns an empty slice backed by the writer's buffer, positioned
// where the payload of the next queued frame will go, with room for at least
// n bytes. Appending the payload to it (AppendProxyReqHeader, then the
// client packet) and passing the result to QueueFrame or WriteFrame builds
// the frame without copying the payload. If the payload outgrows n, append
// reallocates and QueueFrame falls back to copying; either way is correct.
// The slice is valid until the next call on the writer.
func (fw *FrameWriter) Payload(n int) []byte {
	start := len(fw.buf) + 8
	fw.buf = growTo(fw.buf, start+n+4+blockSize)
	return fw.buf[start:start]
}

// QueueFrame appends one frame carrying p to the buffer without writing it.
// len(p) must be a multiple of 4 and the frame at most the maximum size;
// those errors leave the writer unchanged.
func (fw *FrameWriter) QueueFrame(p []byte) error {
	if fw.err != nil {
		return fw.err
	}
	if len(p)%4 != 0 {
		return fmt.Errorf("%w: %d bytes", ErrPayloadAlignment, len(p))
	}
	n := FrameOverhead + len(p)
	if n > fw.max {
		return fmt.Errorf("%w: %d bytes, max %d", ErrFrameTooLarge, n, fw.max)
	}
	old := len(fw.buf)
	// Reserve room for the flush padding too, so Flush never reallocates.
	fw.buf = growTo(fw.buf, old+n+blockSize)
	fw.buf = fw.buf[:old+n]
	f := fw.buf[old:]
	binary.LittleEndian.PutUint32(f[0:], uint32(n))
	binary.LittleEndian.PutUint32(f[4:], uint32(fw.seq))
	// Skip the copy when p was built in place by Payload (same address).
	if len(p) > 0 && &f[8] != &p[0] {
		copy(f[8:], p)
	}
	crc := crc32.Update(0, fw.tab, f[:n-4])
	binary.LittleEndian.PutUint32(f[n-4:], crc)
	fw.seq++
	return nil
}

// Flush writes all queued frames with one Write call. When encryption is on,
// the encrypted part is first padded to a multiple of 16 bytes with padding
// frames and encrypted in place.
func (fw *FrameWriter) Flush() error {
	if fw.err != nil {
		return fw.err
	}
	if len(fw.buf) == 0 {
		return nil
	}
	if fw.enc != nil {
		pad := paddingFor(len(fw.buf) - fw.encFrom)
		old := len(fw.buf)
		fw.buf = growTo(fw.buf, old+pad)[:old+pad]
		for i := old; i < len(fw.buf); i += 4 {
			binary.LittleEndian.PutUint32(fw.buf[i:], PaddingFrameLen)
		}
		fw.enc.CryptBlocks(fw.buf[fw.encFrom:], fw.buf[fw.encFrom:])
	}
	_, err := fw.w.Write(fw.buf)
	fw.buf = fw.buf[:0]
	fw.encFrom = 0
	if err != nil {
		fw.err = err
	}
	return err
}

// WriteFrame queues one frame carrying p and flushes.
func (fw *FrameWriter) WriteFrame(p []byte) error {
	if err := fw.QueueFrame(p); err != nil {
		return err
	}
	return fw.Flush()
}
