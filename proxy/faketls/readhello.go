package faketls

import (
	"encoding/binary"
	"fmt"
	"io"
)

// ReadClientHello reads one ClientHello from r: one or more handshake records
// carrying one handshake message. It reads exactly the records of the hello,
// never beyond them.
//
// buf is scratch space the caller owns (pooled); its capacity bounds what is
// read: more than cap(buf) bytes of records gives ErrHelloTooLarge. Give it
// [HelloBufferSize].
//
// raw is every byte read from r, in order, for replaying to a fronting host.
// record is the handshake message framed as one record, the bytes the
// client's HMAC covers: raw itself when the hello came in one record,
// otherwise the first record's type and version, the whole message's length
// and the message (see the package documentation). raw aliases buf; record
// aliases buf when the re-framed copy fits behind raw in its capacity, and is
// freshly allocated otherwise.
//
// Errors: ErrNotTLS when the stream does not start with 16 03 01 or 16 03 03;
// ErrBadHello for a malformed record sequence (not a ClientHello, empty
// records, other record types, trailing bytes); ErrRecordTooLarge for a
// record over MaxRecordPayload; ErrHelloTooLarge; or the reader's error
// (io.EOF, io.ErrUnexpectedEOF, timeouts). On error raw still holds what was
// read so far, so it can be fronted.
func ReadClientHello(r io.Reader, buf []byte) (raw, record []byte, err error) {
	raw = buf[:0]
	var (
		hs      [handshakeHeaderLen]byte // the handshake header, possibly gathered from several records
		hsN     int                      // bytes of hs seen
		got     int                      // handshake payload bytes read in all records
		msgLen  = -1                     // whole handshake message length, header included, once known
		records int
	)
	for msgLen < 0 || got < msgLen {
		start := len(raw)
		if raw, err = readMore(r, raw, RecordHeaderLen); err != nil {
			return raw, nil, err
		}
		h := raw[start:]
		if err := checkHelloHeader(h, records == 0); err != nil {
			return raw, nil, err
		}
		n := recordLen(h)
		if raw, err = readMore(r, raw, n); err != nil {
			return raw, nil, err
		}
		payload := raw[start+RecordHeaderLen:]
		records++
		got += n
		if hsN < handshakeHeaderLen {
			hsN += copy(hs[hsN:], payload)
			if hs[0] != typeClientHello {
				return raw, nil, fmt.Errorf("%w: handshake type %#02x", ErrBadHello, hs[0])
			}
			if hsN == handshakeHeaderLen {
				msgLen = handshakeHeaderLen + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
				if msgLen > MaxHelloSize {
					return raw, nil, ErrHelloTooLarge
				}
			}
		}
		if msgLen >= 0 && got > msgLen {
			return raw, nil, fmt.Errorf("%w: %d bytes after the handshake message", ErrBadHello, got-msgLen)
		}
	}
	if records == 1 {
		return raw, raw, nil
	}
	return raw, reframe(raw, msgLen), nil
}

// checkHelloHeader validates the header of a record carrying (part of) a ClientHello.
func checkHelloHeader(h []byte, first bool) error {
	if first && !LooksLikeHello(h) {
		return ErrNotTLS
	}
	if h[0] != TypeHandshake {
		return fmt.Errorf("%w: record type %#02x inside the hello", ErrBadHello, h[0])
	}
	if !helloVersion(h[1], h[2]) {
		return fmt.Errorf("%w: record version %#02x%02x", ErrBadHello, h[1], h[2])
	}
	switch n := recordLen(h); {
	case n == 0:
		return fmt.Errorf("%w: empty handshake record", ErrBadHello)
	case n > MaxRecordPayload:
		return ErrRecordTooLarge
	}
	return nil
}

// readMore reads exactly n more bytes from r behind raw, within cap(raw).
// On error the bytes that did arrive are kept.
func readMore(r io.Reader, raw []byte, n int) ([]byte, error) {
	l := len(raw)
	if n > cap(raw)-l {
		return raw, ErrHelloTooLarge
	}
	k, err := io.ReadFull(r, raw[l:l+n])
	return raw[:l+k], err
}

// reframe copies the handshake message scattered over the validated records
// in raw into one record of msgLen payload bytes, behind raw in its capacity
// when there is room.
func reframe(raw []byte, msgLen int) []byte {
	size := RecordHeaderLen + msgLen
	var rec []byte
	if cap(raw)-len(raw) >= size {
		rec = raw[len(raw) : len(raw)+size]
	} else {
		rec = make([]byte, size)
	}
	copy(rec, raw[:3])
	binary.BigEndian.PutUint16(rec[3:5], uint16(msgLen))
	w := RecordHeaderLen
	for off := 0; off < len(raw); {
		n := recordLen(raw[off:])
		w += copy(rec[w:], raw[off+RecordHeaderLen:off+RecordHeaderLen+n])
		off += RecordHeaderLen + n
	}
	return rec
}
