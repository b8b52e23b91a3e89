package proxy

import (
	"io"
	"time"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// The opening: the first bytes of a client connection, told apart as
// soon as they can be.

// Kinds of opening.
const (
	openingObfuscated2 = iota // a whole obfuscated2 header is in
	openingTLS                // the start of a TLS ClientHello (FakeTLS on)
	openingNotTLS             // anything else while only FakeTLS is accepted
	openingImpossible         // bytes no client starts with
)

// readOpening reads the first bytes through h.rd until their kind is
// known: three bytes tell a TLS hello, up to eight an impossible header,
// sixty-four a whole obfuscated2 header, which h.opening then holds. Each
// read from the socket takes what has arrived, up to h.rd's buffer: a
// client that sent its header and its first packet at once costs one
// read, and the bytes after the header wait in h.rd for the session
// (handshake.early). h.consumed is every byte read, for the fronting
// host.
func (p *Proxy) readOpening(h *handshake) (int, error) {
	n := 0
	for {
		m, err := h.rd.Read(h.opening[n:])
		n += m
		h.consumed = h.rd.all()
		if kind, done := p.openingKind(h.opening[:n]); done {
			return kind, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// openingKind tells what the first bytes b are, and whether that is known
// yet.
func (p *Proxy) openingKind(b []byte) (kind int, known bool) {
	tls := p.o.TLSDomain != ""
	if tls && maybeHello(b) {
		return openingTLS, len(b) >= 3
	}
	switch {
	case len(b) == 0:
		return 0, false
	case p.o.TLSOnly:
		return openingNotTLS, true
	case obfuscated2.ImpossiblePrefix(b):
		return openingImpossible, true
	}
	return openingObfuscated2, len(b) == obfuscated2.HeaderLen
}

// maybeHello reports whether b can start a ClientHello record.
func maybeHello(b []byte) bool {
	switch len(b) {
	case 0:
		return true
	case 1, 2:
		return b[0] == faketls.TypeHandshake && (len(b) == 1 || b[1] == 3)
	}
	return faketls.LooksLikeHello(b[:3])
}

// stampReader notes when the handshake's last byte arrived.
type stampReader struct {
	r io.Reader
	h *handshake
}

func (s *stampReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if n > 0 {
		s.h.lastByte = time.Now()
		s.h.prog.reach(StageFirstByte)
	}
	return n, err
}

// earlyReaderSize is how many bytes the handshake takes from the socket
// in one read: the obfuscated2 header (or the first TLS records) and, when
// the client sent it along, its first packet. Clients send their first
// packet with the header; an MTProto packet that opens a session (req_pq,
// or a first encrypted call) fits.
const earlyReaderSize = 512

// earlyReader reads the handshake's bytes through buf, each read from r
// taking what has arrived up to the room left in buf. It never overwrites
// what it read (all returns every byte taken from r), so the bytes of a
// failed handshake can be replayed to the fronting host; once buf is full
// and read, reads go to r directly. recycle lets it use buf again once
// that record is no longer needed.
type earlyReader struct {
	r        io.Reader
	buf      []byte
	off, end int
}

func (e *earlyReader) Read(b []byte) (int, error) {
	if e.off == e.end {
		if e.end == len(e.buf) {
			return e.r.Read(b)
		}
		n, err := e.r.Read(e.buf[e.end:])
		e.end += n
		if n == 0 {
			return 0, err
		}
	}
	n := copy(b, e.buf[e.off:e.end])
	e.off += n
	return n, nil
}

// all returns every byte taken from r through buf.
func (e *earlyReader) all() []byte { return e.buf[:e.end] }

// rest returns the bytes taken from r and not read yet.
func (e *earlyReader) rest() []byte { return e.buf[e.off:e.end] }

// rewind reads buf again from its start.
func (e *earlyReader) rewind() { e.off = 0 }

// recycle makes the whole of buf room again when nothing in it is unread:
// the bytes read so far will not be needed again.
func (e *earlyReader) recycle() {
	if e.off == e.end {
		e.off, e.end = 0, 0
	}
}
