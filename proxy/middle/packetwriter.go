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
	try  tryWriter // w's non-blocking write, nil when it has none
	t    framing.Transport
	hdr  [pktHead]byte
	tail [pktTail]byte
	acks *framing.Writer // nil until the first quick ACK
}

// tryWriter is a writer that can also write without waiting
// (proxy.ClientConn).
type tryWriter interface {
	TryWrite(p []byte) (taken bool, err error)
	TryWriteFramed(head, body, tail []byte) (taken bool, err error)
	Pending() bool
	Flush() error
}

func newPacketWriter(w io.Writer, t framing.Transport) *packetWriter {
	pw := &packetWriter{w: w, t: t}
	pw.try, _ = w.(tryWriter)
	return pw
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
	out := pw.frame(buf, n)
	m, err := pw.w.Write(out)
	if err == nil && m < len(out) {
		err = io.ErrShortWrite
	}
	return err
}

// tryPacket is writePacket without waiting (see proxy.ClientConn's
// TryWrite): taken false leaves buf as it was, for writePacket; taken
// with pending bytes (pw.try.Pending) needs a flush by a writer that may
// wait.
func (pw *packetWriter) tryPacket(buf []byte, n int) (taken bool, err error) {
	if pw.try == nil {
		return false, nil
	}
	return pw.try.TryWrite(pw.frame(buf, n))
}

// tryData is tryPacket for a payload in a buffer of someone else's (the
// RPC reader's frame): the header and the padding go around it in the
// client's write buffer, so the payload is copied only there (encrypted
// on the way).
func (pw *packetWriter) tryData(data []byte) (taken bool, err error) {
	if pw.try == nil {
		return false, nil
	}
	h, tail := pw.headTail(len(data))
	return pw.try.TryWriteFramed(h, data, tail)
}

// frame writes the transport's header (and the padded transport's tail)
// around the n-byte payload at buf[pktHead:] and returns the framed
// packet, a slice of buf. Framing the same packet again gives the same
// header (and new padding).
func (pw *packetWriter) frame(buf []byte, n int) []byte {
	h, tail := pw.headTail(n)
	copy(buf[pktHead+n:], tail)
	start := pktHead - len(h)
	copy(buf[start:], h)
	return buf[start : pktHead+n+len(tail)]
}

// headTail returns the transport header of an n-byte payload and, for the
// padded transport, its random tail, both in pw's scratch space.
func (pw *packetWriter) headTail(n int) (h, tail []byte) {
	if pw.t == framing.Padded {
		v := rand.Uint64()
		k := int(v & 3)
		for i := range k {
			pw.tail[i] = byte(v >> (8 * (i + 1)))
		}
		tail = pw.tail[:k]
	}
	return framing.AppendHeader(pw.hdr[:0], pw.t, n+len(tail), false), tail
}
