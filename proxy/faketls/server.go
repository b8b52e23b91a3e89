package faketls

import (
	"fmt"
	"io"
)

const ccsRecordLen = RecordHeaderLen + 1

// Flight is the server's first flight and how to put it on the wire.
type Flight struct {
	// Bytes are the three records.
	Bytes []byte
	// splits are the profile's write boundaries.
	splits []int
}

// WriteTo writes the flight to w in the profile's pieces, and returns
// the bytes written.
func (f Flight) WriteTo(w io.Writer) (int64, error) {
	var done int64
	prev := 0
	for _, s := range f.splits {
		if s >= len(f.Bytes) {
			break
		}
		n, err := w.Write(f.Bytes[prev:s])
		done += int64(n)
		if err != nil {
			return done, err
		}
		prev = s
	}
	n, err := w.Write(f.Bytes[prev:])
	return done + int64(n), err
}

// ServerFlight returns the server's first flight for an authenticated
// hello, shaped by p, exactly three records:
//
//	16 03 03 <len>  02 <len24>  03 03  server_random[32]  <sid len> session_id
//	    suite[2]  00  <exts len>  extensions in p's order
//	14 03 03 00 01 01
//	17 03 03 <n>  random[n]
//
// The session id is echoed. The suite is p.CipherSuite when the client
// offers it, else the client's first TLS 1.3 suite (0x1301 when none). The
// extensions are p's: supported_versions 00 2b 00 02 03 04, key_share for
// the group p and the client's shares pick (see [ServerProfile]) with a
// well-formed key (x25519: a genuine public key of 32 bytes, so it is no
// statistical tell; X25519MLKEM768: 1088 random bytes standing for the
// ML-KEM ciphertext, whose compressed coefficients look uniform, then such
// an x25519 key), and the others verbatim. The application-data record
// stands in for the origin's encrypted records: n is p.StandInLen with
// p's noise. server_random = HMAC-SHA256(secret, client_random || the
// flight with server_random zeroed), which Telegram clients check.
//
// rand supplies the keys, the noise and the record's bytes; its errors are
// returned, and so are p's (ErrBadProfile) and a session id over 32 bytes
// (ErrBadHello).
func ServerFlight(rand io.Reader, secret [16]byte, hello *ClientHello, p *ServerProfile) (Flight, error) {
	if err := p.Validate(); err != nil {
		return Flight{}, err
	}
	if len(hello.SessionID) > maxSessionIDLen {
		return Flight{}, fmt.Errorf("%w: session id of %d bytes", ErrBadHello, len(hello.SessionID))
	}
	appDataLen, err := p.appDataLen(rand)
	if err != nil {
		return Flight{}, err
	}
	group := p.groupFor(hello)
	w := &builder{b: make([]byte, 0, p.serverHelloLen(len(hello.SessionID), group)+ccsRecordLen+RecordHeaderLen+appDataLen), rand: rand}
	w.u8(TypeHandshake)
	w.str("\x03\x03")
	w.open()
	w.u8(typeServerHello)
	w.zeros(3) // uint24 length, set below
	w.str("\x03\x03")
	w.zeros(randomLen) // server_random, filled in last
	w.u8(byte(len(hello.SessionID)))
	w.raw(hello.SessionID)
	w.u16(p.suiteFor(hello))
	w.u8(0) // compression: null
	w.open()
	for _, e := range p.Extensions {
		switch e.Type {
		case extSupportedVersions:
			w.ext(extSupportedVersions, func() { w.u16(versionTLS13) })
		case extKeyShare:
			w.ext(extKeyShare, func() { serverKeyShare(w, group) })
		default:
			w.ext(e.Type, func() { w.raw(e.Data) })
		}
	}
	w.close()
	w.close()
	msgLen := len(w.b) - RecordHeaderLen - handshakeHeaderLen
	w.b[RecordHeaderLen+1], w.b[RecordHeaderLen+2], w.b[RecordHeaderLen+3] = byte(msgLen>>16), byte(msgLen>>8), byte(msgLen)

	w.b = AppendChangeCipherSpec(w.b)
	w.u8(TypeApplicationData)
	w.str("\x03\x03")
	w.u16(uint16(appDataLen))
	w.random(appDataLen)
	if w.err != nil {
		return Flight{}, w.err
	}

	m := newMAC()
	m.reset(&secret)
	m.write(hello.Random[:])
	m.write(w.b)
	copy(w.b[randomOffset:randomOffset+randomLen], m.finish()[:])
	return Flight{Bytes: w.b, splits: p.Splits}, nil
}

// serverHelloLen is the size of the ServerHello record p shapes for a
// session id of sidLen bytes and group.
func (p *ServerProfile) serverHelloLen(sidLen int, group uint16) int {
	n := RecordHeaderLen + handshakeHeaderLen + 2 + randomLen + 1 + sidLen + 2 + 1 + 2
	for _, e := range p.Extensions {
		switch e.Type {
		case extSupportedVersions:
			n += 4 + 2
		case extKeyShare:
			n += 4 + 4 + x25519Len
			if group == GroupX25519MLKEM768 {
				n += mlkemCiphertextLen
			}
		default:
			n += 4 + len(e.Data)
		}
	}
	return n
}

// serverKeyShare writes a server key_share body for group.
func serverKeyShare(w *builder, group uint16) {
	w.u16(group)
	w.open()
	if group == GroupX25519MLKEM768 {
		w.random(mlkemCiphertextLen)
	}
	x25519Share(w)
	w.close()
}
