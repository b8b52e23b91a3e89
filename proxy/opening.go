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

// readOpening reads the first bytes into h.opening until their kind is
// known: three bytes tell a TLS hello, up to eight an impossible header,
// sixty-four a whole obfuscated2 header. Each read asks for the rest of
// the sixty-four and takes what has arrived, so a client that sent its
// header at once costs one read, and the kind is told from whatever
// came: it reads no byte past the header (nor past the start of a
// ClientHello, which is longer).
func (p *Proxy) readOpening(r io.Reader, h *handshake) (int, error) {
	n := 0
	for {
		m, err := r.Read(h.opening[n:obfuscated2.HeaderLen])
		n += m
		h.consumed = h.opening[:n]
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

// prefixReader reads prefix, then r.
type prefixReader struct {
	prefix []byte
	off    int
	r      io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if p.off < len(p.prefix) {
		n := copy(b, p.prefix[p.off:])
		p.off += n
		return n, nil
	}
	return p.r.Read(b)
}

// unread returns the prefix bytes not read yet.
func (p *prefixReader) unread() []byte { return p.prefix[p.off:] }
