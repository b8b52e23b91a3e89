package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"

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

	// consumed holds the bytes read before a failure, replayed to the
	// fronting host. It may alias helloBuf.
	consumed []byte
	helloBuf *[]byte
	// answered is set once the proxy has sent a byte: fronting is no
	// longer possible, the connection is just closed.
	answered bool

	// With Options.Users: the admitted user and its lease.
	user  string
	lease Lease
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

// fail records a failed handshake; a lease taken already is released.
func (h *handshake) fail(r HandshakeResult, err error) *handshake {
	h.result, h.err, h.secret = r, err, -1
	if h.lease != nil {
		h.lease.Release()
		h.lease, h.user = nil, ""
	}
	return h
}

// ioFailure classifies a read error during the handshake.
func (h *handshake) ioFailure(err error) *handshake {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return h.fail(HandshakeTimeout, err)
	}
	return h.fail(HandshakeClosed, err)
}

// handshake reads and authenticates the client's opening bytes: a FakeTLS
// ClientHello followed by an obfuscated2 header inside TLS records, or a
// bare obfuscated2 header.
func (p *Proxy) handshake(conn net.Conn, prog *progress) *handshake {
	if cc, ok := conn.(*carriedConn); ok {
		return p.handshakeCarried(cc, prog)
	}
	h := &handshake{secret: -1, prog: prog}
	remote := netx.AddrPort(conn.RemoteAddr()).Addr()
	keys := p.keyring(remote)
	hdr := new([obfuscated2.HeaderLen]byte)
	n, err := io.ReadFull(conn, hdr[:faketls.RecordHeaderLen])
	if n > 0 {
		prog.reach(StageFirstByte)
	}
	if err != nil {
		h.consumed = hdr[:n]
		return h.ioFailure(err)
	}
	if p.o.TLSDomain != "" && faketls.LooksLikeHello(hdr[:3]) {
		h.proto = ProtoFakeTLS
		return p.handshakeTLS(conn, h, &keys, remote, hdr[:faketls.RecordHeaderLen])
	}
	if p.o.TLSOnly {
		h.consumed = hdr[:faketls.RecordHeaderLen]
		return h.fail(HandshakeNotTLS, errors.New("not a TLS ClientHello"))
	}
	n, err = io.ReadFull(conn, hdr[faketls.RecordHeaderLen:])
	h.consumed = hdr[:faketls.RecordHeaderLen+n]
	if err != nil {
		return h.ioFailure(err)
	}
	prog.reach(StageHandshakeRead)
	return p.acceptHeader(h, hdr, &keys, remote)
}

// acceptHeader authenticates a bare obfuscated2 header with keys, refuses
// replays and admits the user (Options.Users).
func (p *Proxy) acceptHeader(h *handshake, hdr *[obfuscated2.HeaderLen]byte, keys *keyring, remote netip.Addr) *handshake {
	acc, err := keys.accept(hdr)
	if err != nil {
		return h.fail(HandshakeBadSecret, err)
	}
	h.proto = protocolOf(acc.Transport)
	if p.replay.Seen(replay.Key(acc.ReplayKey), p.o.Now()) {
		return h.fail(HandshakeReplay, errors.New("obfuscated2 header seen before"))
	}
	if !p.admitUser(h, keys, acc.SecretIndex, remote) {
		return h.fail(HandshakeUserRefused, errUserRefused)
	}
	h.acc, h.dc, h.result = acc, int(acc.DC), HandshakeOK
	return h
}

func (p *Proxy) handshakeTLS(conn net.Conn, h *handshake, keys *keyring, remote netip.Addr, prefix []byte) *handshake {
	h.helloBuf = p.hello.Get().(*[]byte)
	raw, record, err := faketls.ReadClientHello(io.MultiReader(bytes.NewReader(prefix), conn), *h.helloBuf)
	h.consumed = raw
	if err != nil {
		if isTLSFormatError(err) {
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
	idx, ts, err := keys.verify(record)
	if err != nil {
		return h.fail(HandshakeBadSecret, err)
	}
	if !strings.EqualFold(hello.ServerName, p.o.TLSDomain) {
		return h.fail(HandshakeBadSNI, fmt.Errorf("SNI %q is not the configured domain", hello.ServerName))
	}
	if err := faketls.CheckTimestamp(ts, p.o.Now(), p.o.TimeSkew, !p.o.DisableUptimeTimestamps); err != nil {
		return h.fail(HandshakeStaleTimestamp, err)
	}
	if p.replay.Seen(replay.Key(hello.Random[:16]), p.o.Now()) {
		return h.fail(HandshakeReplay, errors.New("ClientHello random seen before"))
	}
	// Admission comes before the first answer, so a refused user is
	// fronted like any failed handshake.
	if !p.admitUser(h, keys, idx, remote) {
		return h.fail(HandshakeUserRefused, errUserRefused)
	}

	flight, err := faketls.ServerFlight(p.o.Rand, keys.one(idx)[0], hello, p.profile)
	if err != nil {
		return h.fail(HandshakeClosed, err)
	}
	h.answered = true
	if _, err := flight.WriteTo(conn); err != nil {
		return h.ioFailure(err)
	}
	hdr, err := readTLSHeader(conn, &h.unwrap)
	if err != nil {
		if errors.Is(err, faketls.ErrUnexpectedRecord) || errors.Is(err, faketls.ErrRecordTooLarge) {
			return h.fail(HandshakeBadTLS, err)
		}
		return h.ioFailure(err)
	}
	acc, err := obfuscated2.Accept(hdr, keys.one(idx))
	if err != nil {
		return h.fail(HandshakeBadSecret, err)
	}
	if acc.Transport != framing.Padded {
		return h.fail(HandshakeBadSecret, fmt.Errorf("FakeTLS clients must use padded intermediate, not %s", acc.Transport))
	}
	acc.SecretIndex = idx
	h.acc, h.dc, h.tls, h.result = acc, int(acc.DC), true, HandshakeOK
	return h
}

func isTLSFormatError(err error) bool {
	return errors.Is(err, faketls.ErrNotTLS) || errors.Is(err, faketls.ErrBadHello) ||
		errors.Is(err, faketls.ErrHelloTooLarge) || errors.Is(err, faketls.ErrUnexpectedRecord) ||
		errors.Is(err, faketls.ErrRecordTooLarge)
}

// readTLSHeader reads the client's records after our first flight up to
// the 64 bytes of the obfuscated2 header, reading exactly what the records
// announce so nothing past the header is consumed; u keeps the record state
// for the relay.
func readTLSHeader(conn net.Conn, u *faketls.Unwrapper) (*[obfuscated2.HeaderLen]byte, error) {
	hdr := new([obfuscated2.HeaderLen]byte)
	got := 0
	var rec [faketls.RecordHeaderLen]byte
	var scratch [obfuscated2.HeaderLen]byte
	for got < obfuscated2.HeaderLen {
		if _, err := io.ReadFull(conn, rec[:]); err != nil {
			return nil, err
		}
		if _, err := u.Unwrap(rec[:]); err != nil {
			return nil, err
		}
		length := int(binary.BigEndian.Uint16(rec[3:]))
		need := min(length, obfuscated2.HeaderLen-got)
		if rec[0] != faketls.TypeApplicationData {
			if length > len(scratch) {
				return nil, faketls.ErrUnexpectedRecord
			}
			need = length
		}
		if _, err := io.ReadFull(conn, scratch[:need]); err != nil {
			return nil, err
		}
		payload, err := u.Unwrap(scratch[:need])
		if err != nil {
			return nil, err
		}
		got += copy(hdr[got:], payload)
	}
	return hdr, nil
}
