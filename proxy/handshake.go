package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/internal/netx"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
	"github.com/mtproxy/mtproxy/proxy/replay"
)

// handshake is the outcome of a client handshake.
type handshake struct {
	proto  Protocol
	result HandshakeResult
	err    error // the cause of a failure, for logs
	secret int
	dc     int
	ja4    faketls.JA4 // of the ClientHello, when one was read
	prog   *progress
	acc    obfuscated2.Accepted
	tls    bool
	unwrap faketls.Unwrapper // the record state after the obfuscated2 header

	// opening holds the first bytes, up to a whole obfuscated2 header.
	opening [obfuscated2.HeaderLen]byte
	// rd reads the handshake's bytes from the socket through wire (from
	// the Proxy's pool, back when the handshake and its fronting are
	// over); early is a copy of what it read past the handshake (the
	// client's first bytes of MTProto, still as they came on the wire),
	// for the session.
	rd    earlyReader
	wire  *[earlyReaderSize]byte
	early []byte
	// consumed holds the bytes read before a failure, replayed to the
	// fronting host. It may alias wire, opening (a carried stream) or
	// helloBuf.
	consumed []byte
	helloBuf *[]byte
	// answered is set once the proxy has sent a byte: fronting is no
	// longer possible, the connection is just closed.
	answered bool
	// halfClosed is set when the client ended its stream after sending
	// bytes: it may still read an answer.
	halfClosed bool
	// lastByte is when the last byte arrived (the handshake's start before
	// any), on the real clock, as socket deadlines are.
	lastByte time.Time

	// With Options.Users: the admitted user and its lease.
	user  string
	lease Lease
}

// handshake reads and authenticates the client's opening bytes: a FakeTLS
// ClientHello followed by an obfuscated2 header inside TLS records, or a
// bare obfuscated2 header. It decides as soon as the bytes allow: a prefix
// no client sends fails at once, without waiting for a whole header.
func (p *Proxy) handshake(conn net.Conn, prog *progress) *handshake {
	if cc, ok := conn.(*carriedConn); ok {
		return p.handshakeCarried(cc, prog)
	}
	h := &handshake{secret: -1, lastByte: time.Now(), prog: prog}
	remote := netx.AddrPort(conn.RemoteAddr()).Addr()
	keys := p.keyring(remote)
	h.wire = p.wire.Get().(*[earlyReaderSize]byte)
	h.rd = earlyReader{r: &stampReader{r: conn, h: h}, buf: h.wire[:]}
	kind, err := p.readOpening(h)
	switch {
	case err != nil:
		return h.ioFailure(err)
	case kind == openingTLS:
		h.proto = ProtoFakeTLS
		return p.handshakeTLS(conn, h, &keys, remote)
	case kind == openingNotTLS:
		return h.fail(HandshakeNotTLS, errors.New("not a TLS ClientHello"))
	case kind == openingImpossible:
		return h.fail(HandshakeBadSecret, errors.New("bytes no client starts a header with"))
	}
	prog.reach(StageHandshakeRead)
	if h = p.acceptHeader(h, &h.opening, &keys, remote); h.result == HandshakeOK {
		h.keepEarly()
	}
	return h
}

// acceptHeader authenticates a bare obfuscated2 header with keys, refuses
// replays and admits the user (Options.Users).
func (p *Proxy) acceptHeader(h *handshake, hdr *[obfuscated2.HeaderLen]byte, keys *keyring, remote netip.Addr) *handshake {
	acc, err := keys.accept(hdr)
	if err != nil {
		return h.fail(HandshakeBadSecret, err)
	}
	h.proto = protocolOf(acc.Transport)
	if now := p.o.Now(); p.replayed(replay.Key(acc.ReplayKey), now, now.Add(p.untimedWindow())) {
		return h.fail(HandshakeReplay, errors.New("obfuscated2 header seen before"))
	}
	if !p.admitUser(h, keys, acc.SecretIndex, remote) {
		return h.fail(HandshakeUserRefused, errUserRefused)
	}
	h.acc, h.dc, h.result = acc, int(acc.DC), HandshakeOK
	return h
}

// handshakeTLS reads the ClientHello (its first bytes are in h.rd),
// checks it (another server name first, before any secret is tried),
// answers with the server flight shaped by the fronting site's profile
// and reads the obfuscated2 header from the client's first records.
func (p *Proxy) handshakeTLS(conn net.Conn, h *handshake, keys *keyring, remote netip.Addr) *handshake {
	h.helloBuf = p.hello.Get().(*[]byte)
	h.rd.rewind()
	raw, record, err := faketls.ReadClientHello(&h.rd, *h.helloBuf)
	h.consumed = append(raw, h.rd.rest()...)
	if err != nil {
		if faketls.IsMalformed(err) {
			return h.fail(HandshakeBadTLS, err)
		}
		return h.ioFailure(err)
	}
	h.prog.proto = ProtoFakeTLS
	h.prog.reach(StageHandshakeRead)
	h.ja4, _ = faketls.ComputeJA4(record) // zero when it does not parse: counted as such
	hello, err := faketls.ParseClientHello(record)
	if err != nil {
		return h.fail(HandshakeBadTLS, err)
	}
	if !strings.EqualFold(hello.ServerName, p.o.TLSDomain) {
		return h.fail(HandshakeBadSNI, fmt.Errorf("SNI %q is not the configured domain", hello.ServerName))
	}
	idx, ts, err := keys.verify(record)
	if err != nil {
		return h.fail(HandshakeBadSecret, err)
	}
	now := p.o.Now()
	expires, err := p.helloExpiry(ts, now)
	if err != nil {
		return h.fail(HandshakeStaleTimestamp, err)
	}
	if p.replayed(replay.Key(hello.Random[:16]), now, expires) {
		return h.fail(HandshakeReplay, errors.New("ClientHello random seen before"))
	}
	// Admission comes before the first answer, so a refused user is
	// fronted like any failed handshake.
	if !p.admitUser(h, keys, idx, remote) {
		return h.fail(HandshakeUserRefused, errUserRefused)
	}

	flight, err := faketls.ServerFlight(p.o.Rand, keys.one(idx)[0], hello, p.profile.Profile())
	if err != nil {
		return h.fail(HandshakeClosed, err)
	}
	h.answered = true
	if _, err := flight.WriteTo(conn); err != nil {
		return h.ioFailure(err)
	}
	// Nothing is fronted once the flight is out: what the hello's reads
	// took is not needed again, and the first records come through the
	// whole buffer.
	h.rd.recycle()
	if err := faketls.ReadPayload(&h.rd, &h.unwrap, h.opening[:]); err != nil {
		if faketls.IsMalformed(err) {
			return h.fail(HandshakeBadTLS, err)
		}
		return h.ioFailure(err)
	}
	acc, err := obfuscated2.Accept(&h.opening, keys.one(idx))
	if err != nil {
		return h.fail(HandshakeBadSecret, err)
	}
	if acc.Transport != framing.Padded {
		return h.fail(HandshakeBadSecret, fmt.Errorf("FakeTLS clients must use padded intermediate, not %s", acc.Transport))
	}
	acc.SecretIndex = idx
	h.acc, h.dc, h.tls, h.result = acc, int(acc.DC), true, HandshakeOK
	h.keepEarly()
	return h
}

// keepEarly hands the bytes read past the handshake to the session, in a
// copy of their size (the buffer goes back to its pool). None leaves
// early nil: a session with early bytes does not wait for the socket
// until it has read them.
func (h *handshake) keepEarly() {
	if rest := h.rd.rest(); len(rest) > 0 {
		h.early = append([]byte(nil), rest...)
	}
}

// fail records a failed handshake; a lease taken already is released.
func (h *handshake) fail(r HandshakeResult, err error) *handshake {
	h.result, h.err, h.secret = r, err, -1
	if h.lease != nil {
		h.lease.Release()
		h.lease, h.user = nil, ""
	}
	return h
}

// ioFailure classifies a read error during the handshake: a timeout, or
// the client gone (after a half-close when bytes came first).
func (h *handshake) ioFailure(err error) *handshake {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return h.fail(HandshakeTimeout, err)
	}
	h.halfClosed = len(h.consumed) > 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF))
	return h.fail(HandshakeClosed, err)
}

// frontable reports whether the failed handshake is handed to the
// fronting host (see HandshakeResult.Frontable).
func (h *handshake) frontable() bool {
	switch {
	case h.answered || !h.result.Frontable():
		return false
	case h.result == HandshakeClosed:
		return h.halfClosed
	}
	return true
}

// protocolOf maps an obfuscated2 transport to the client protocol label.
func protocolOf(t framing.Transport) Protocol {
	switch t {
	case framing.Abridged:
		return ProtoAbridged
	case framing.Intermediate:
		return ProtoIntermediate
	case framing.Padded:
		return ProtoPadded
	}
	return ProtoUnknown
}
