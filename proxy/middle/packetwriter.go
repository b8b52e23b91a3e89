package middle

import (
	"io"
	"math/rand/v2"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// Room kept around a queued answer so the writer can frame it in place:
// the longest transport header before, the longest padded tail after.
const (
	pktHead = 4
	pktTail = 3
)

// packetWriter frames answers for a client in the buffers they were queued
// in, so each packet costs one Write and no copy. Quick ACKs go through a
// framing.Writer, made at the first one: most clients never ask for one,
// and the packet writer lives as long as its client. The padding of the
// padded transport is traffic shaping, not secrecy: it comes from
// math/rand/v2's global generator, so a client carries no generator state
// of its own.
type packetWriter struct {
	w    io.Writer
	t    framing.Transport
	hdr  [pktHead]byte
	acks *framing.Writer // nil until the first quick ACK
}

func newPacketWriter(w io.Writer, t framing.Transport) *packetWriter {
	return &packetWriter{w: w, t: t}
}

// writeQuickAck writes a quick-ACK token.
func (pw *packetWriter) writeQuickAck(token uint32) error {
	if pw.acks == nil {
		pw.acks = framing.NewWriter(pw.w, pw.t, nil)
	}
	return pw.acks.WriteQuickAck(token)
}

// writePacket writes the n-byte payload at buf[pktHead:]. For the padded
// transport it appends 0..3 random bytes, as framing.Writer does (longer
// tails confuse Telethon's reader).
func (pw *packetWriter) writePacket(buf []byte, n int) error {
	tail := 0
	if pw.t == framing.Padded {
		v := rand.Uint64()
		tail = int(v & 3)
		for i := range tail {
			buf[pktHead+n+i] = byte(v >> (8 * (i + 1)))
		}
	}
	h := framing.AppendHeader(pw.hdr[:0], pw.t, n+tail, false)
	start := pktHead - len(h)
	copy(buf[start:], h)
	out := buf[start : pktHead+n+tail]
	m, err := pw.w.Write(out)
	if err == nil && m < len(out) {
		err = io.ErrShortWrite
	}
	return err
}
