package faketls

import (
	"encoding/binary"
	"fmt"
	"io"
)

// HelloOptions shapes the ClientHello BuildClientHello makes.
type HelloOptions struct {
	// Domain is the SNI host name; "" leaves the server_name extension out.
	Domain string
	// Timestamp is hidden in client_random: unix seconds, or an uptime.
	Timestamp uint32
	// PadTo, when nonzero, is the exact length of the handshake message (its
	// 4-byte header included: the quantity MaxHelloSize bounds), reached with
	// a padding extension. It must leave room for the extension's 4-byte
	// header, or equal the unpadded length.
	PadTo int
	// SplitAt lists strictly increasing offsets into the handshake message at
	// which a new record starts; empty sends it in one record. Records over
	// MaxRecordPayload are produced as asked, to test limits.
	SplitAt []int
}

// BuildClientHello returns a ClientHello, as the records to put on the wire,
// shaped like a modern Telegram client's (TDLib 1.8.6x): GREASE in cipher
// suites, extensions, groups and versions; TLS 1.3 suites then TLS 1.2 ones;
// SNI; supported_groups X25519MLKEM768, x25519, P-256, P-384; a key_share of
// 1216 bytes for X25519MLKEM768 and 32 for x25519; ALPN h2, http/1.1;
// supported_versions 1.3, 1.2; psk modes; an ECH GREASE extension; in an
// order shuffled per hello, as TDLib does: 1.7-1.8 KB. The key shares have
// the form of real keys (ML-KEM coefficients below q, X25519 points on the
// curve), so real TLS stacks accept them, but nobody keeps the private parts.
//
// Its client_random carries HMAC-SHA256(secret, hello as one record with the
// random zeroed) and o.Timestamp, the way the proxy's Verify expects; when
// split over records, the MAC covers the hello framed as one record, as for
// ReadClientHello. random is the client_random, which VerifyServerFlight
// needs.
func BuildClientHello(rand io.Reader, secret [16]byte, o HelloOptions) (raw []byte, random [32]byte, err error) {
	msg, err := buildHelloMessage(rand, o)
	if err != nil {
		return nil, random, err
	}
	var hdr [RecordHeaderLen]byte
	hdr[0], hdr[1], hdr[2] = TypeHandshake, 3, 1
	binary.BigEndian.PutUint16(hdr[3:], uint16(len(msg)))

	m := newMAC()
	m.reset(&secret)
	m.write(hdr[:])
	m.write(msg) // its random is still zero
	sum := m.finish()
	copy(random[:], sum[:])
	ts := binary.LittleEndian.Uint32(sum[timestampOffset:]) ^ o.Timestamp
	binary.LittleEndian.PutUint32(random[timestampOffset:], ts)
	copy(msg[randomOffset-RecordHeaderLen:], random[:])

	prev := 0
	for i := 0; i <= len(o.SplitAt); i++ {
		at := len(msg)
		if i < len(o.SplitAt) {
			at = o.SplitAt[i]
		}
		if at <= prev || at > len(msg) {
			return nil, random, fmt.Errorf("%w: split at %d of %d-byte hello", ErrBadLength, at, len(msg))
		}
		raw = append(raw, hdr[:3]...)
		raw = binary.BigEndian.AppendUint16(raw, uint16(at-prev))
		raw = append(raw, msg[prev:at]...)
		prev = at
	}
	return raw, random, nil
}

// buildHelloMessage builds the ClientHello handshake message with a zero random.
func buildHelloMessage(rand io.Reader, o HelloOptions) ([]byte, error) {
	if o.PadTo < 0 || o.PadTo > 0xffff {
		return nil, fmt.Errorf("%w: pad to %d", ErrBadLength, o.PadTo)
	}
	g, err := greaseValues(rand)
	if err != nil {
		return nil, err
	}
	w := &builder{b: make([]byte, 0, max(2048, o.PadTo)), rand: rand}
	w.u8(typeClientHello)
	w.zeros(3) // uint24 length, set below
	w.str("\x03\x03")
	w.zeros(randomLen)
	w.u8(maxSessionIDLen)
	w.random(maxSessionIDLen)
	w.open()
	w.u16(g[0])
	w.str("\x13\x01\x13\x02\x13\x03\xc0\x2b\xc0\x2f\xc0\x2c\xc0\x30\xcc\xa9\xcc\xa8\xc0\x13\xc0\x14\x00\x9c\x00\x9d\x00\x2f\x00\x35")
	w.close()
	w.str("\x01\x00") // compression methods: null
	w.open()
	w.ext(g[2], func() {})
	exts := helloExtensions(w, o.Domain, g)
	if err := shuffle(rand, exts); err != nil {
		return nil, err
	}
	for _, e := range exts {
		e()
	}
	w.ext(g[3], func() { w.u8(0) })
	if o.PadTo > 0 {
		switch need := o.PadTo - len(w.b); {
		case need == 0:
		case need < 4:
			return nil, fmt.Errorf("%w: cannot pad a %d-byte hello to %d", ErrBadLength, len(w.b), o.PadTo)
		default:
			w.ext(0x0015, func() { w.zeros(need - 4) })
		}
	}
	w.close()
	if w.err != nil {
		return nil, w.err
	}
	if len(w.b) > 0xffff {
		return nil, fmt.Errorf("%w: hello of %d bytes", ErrBadLength, len(w.b))
	}
	n := len(w.b) - handshakeHeaderLen
	w.b[1], w.b[2], w.b[3] = byte(n>>16), byte(n>>8), byte(n)
	return w.b, nil
}

// helloExtensions returns the writers of the extensions TDLib shuffles.
func helloExtensions(w *builder, domain string, g [7]uint16) []func() {
	exts := []func(){
		func() { w.ext(0x0005, func() { w.str("\x01\x00\x00\x00\x00") }) }, // status_request
		func() { // supported_groups
			w.ext(0x000a, func() { w.open(); w.u16(g[4]); w.str("\x11\xec\x00\x1d\x00\x17\x00\x18"); w.close() })
		},
		func() { w.ext(0x000b, func() { w.str("\x01\x00") }) }, // ec_point_formats
		func() { // signature_algorithms
			w.ext(0x000d, func() { w.str("\x00\x10\x04\x03\x08\x04\x04\x01\x05\x03\x08\x05\x05\x01\x08\x06\x06\x01") })
		},
		func() { w.ext(0x0010, func() { w.str("\x00\x0c\x02h2\x08http/1.1") }) }, // ALPN
		func() { w.ext(0x0012, func() {}) },                                      // signed_certificate_timestamp
		func() { w.ext(0x0017, func() {}) },                                      // extended_master_secret
		func() { w.ext(0x001b, func() { w.str("\x02\x00\x02") }) },               // compress_certificate: brotli
		func() { w.ext(0x0023, func() {}) },                                      // session_ticket
		func() { // supported_versions
			w.ext(0x002b, func() { w.u8(6); w.u16(g[6]); w.str("\x03\x04\x03\x03") })
		},
		func() { w.ext(0x002d, func() { w.str("\x01\x01") }) }, // psk_key_exchange_modes: psk_dhe_ke
		func() { w.ext(0x0033, func() { keyShares(w, g[4]) }) },
		func() { w.ext(0x44cd, func() { w.str("\x00\x03\x02h2") }) }, // application_settings
		func() { w.ext(0xfe0d, func() { echGrease(w) }) },
		func() { w.ext(0xff01, func() { w.u8(0) }) }, // renegotiation_info
	}
	if domain != "" {
		exts = append(exts, func() { // server_name
			w.ext(extServerName, func() {
				w.open()
				w.u8(sniHostName)
				w.open()
				w.str(domain)
				w.close()
				w.close()
			})
		})
	}
	return exts
}
