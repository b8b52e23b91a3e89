package framing

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// Writer writes packets of one transport to a stream. Each packet, header,
// payload and padding, goes out in a single Write call. A Writer is not
// safe for concurrent use.
type Writer struct {
	dst     io.Writer
	t       Transport
	rand    io.Reader
	buf     []byte
	small   int     // consecutive small packets while buf is oversized
	scratch [4]byte // quick-ACK tokens and padding choice
	err     error   // sticky: a failed Write may have left a partial frame
}

// NewWriter returns a Writer for transport t. rand supplies the Padded
// transport's random tail; nil means crypto/rand.Reader. It is not used by
// the other transports.
func NewWriter(w io.Writer, t Transport, rand io.Reader) *Writer {
	return &Writer{dst: w, t: t, rand: rand}
}

// WritePacket frames pkt and writes it. pkt must be non-empty, a multiple
// of 4 bytes (MTProto packets always are) and at most MaxPacketSize.
// quickAck sets the quick-ACK request bit. Padded adds 0..3 random tail
// bytes: Telethon's RandomizedIntermediate reader strips only len%4 bytes,
// so longer tails (which TDLib sends and Reader tolerates) would reach such
// a client as garbage. A failed Write is returned by every later call.
func (w *Writer) WritePacket(pkt []byte, quickAck bool) error {
	if w.err != nil {
		return w.err
	}
	if !w.t.Valid() {
		return ErrBadTransport
	}
	if len(pkt) == 0 || len(pkt)%4 != 0 {
		return ErrBadLength
	}
	if len(pkt) > MaxPacketSize {
		return ErrPacketTooLarge
	}
	var tail []byte
	if w.t == Padded {
		if err := w.randomTail(); err != nil {
			return err
		}
		tail = w.scratch[1 : 1+w.scratch[0]&3]
	}
	need := maxHeaderLen + len(pkt) + len(tail)
	if cap(w.buf) < need {
		w.buf = make([]byte, 0, max(need, baseBufSize))
	}
	b := AppendHeader(w.buf[:0], w.t, len(pkt)+len(tail), quickAck)
	b = append(b, pkt...)
	b = append(b, tail...)
	err := w.write(b)
	w.account(len(b))
	return err
}

// WriteQuickAck writes a quick-ACK reply token (server to client): the raw
// 4 bytes little-endian, or big-endian for abridged. The token is written
// as given; tokens from Telegram carry bit 31, which is what lets the
// client tell them from packet headers.
func (w *Writer) WriteQuickAck(token uint32) error {
	if w.err != nil {
		return w.err
	}
	if !w.t.Valid() {
		return ErrBadTransport
	}
	if w.t == Abridged {
		binary.BigEndian.PutUint32(w.scratch[:], token)
	} else {
		binary.LittleEndian.PutUint32(w.scratch[:], token)
	}
	return w.write(w.scratch[:])
}

// randomTail fills scratch: byte 0 picks the tail length (low 2 bits),
// bytes 1..3 are the tail.
func (w *Writer) randomTail() error {
	src := w.rand
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, w.scratch[:]); err != nil {
		return fmt.Errorf("framing: reading padding: %w", err)
	}
	return nil
}

func (w *Writer) write(b []byte) error {
	n, err := w.dst.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	w.err = err
	return err
}

// account applies the buffer policy documented on baseBufSize.
func (w *Writer) account(total int) {
	if cap(w.buf) <= baseBufSize {
		return
	}
	if total > baseBufSize {
		w.small = 0
		return
	}
	if w.small++; w.small >= shrinkAfter {
		w.buf, w.small = nil, 0
	}
}
