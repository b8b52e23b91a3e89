package faketls

import (
	"crypto/subtle"
	"fmt"
	"io"
)

// ReadServerFlight reads the server's first flight as a Telegram client
// does: a 16 03 03 handshake record, the ChangeCipherSpec record
// 14 03 03 00 01 01 and one 17 03 03 application-data record. It returns the
// three records as read. A record of another type or version gives
// ErrUnexpectedRecord, one over MaxReadPayload ErrRecordTooLarge.
func ReadServerFlight(r io.Reader) ([]byte, error) {
	var flight []byte
	for _, typ := range [...]byte{TypeHandshake, TypeChangeCipherSpec, TypeApplicationData} {
		start := len(flight)
		flight = append(flight, make([]byte, RecordHeaderLen)...)
		if _, err := io.ReadFull(r, flight[start:]); err != nil {
			if start > 0 {
				err = noEOF(err)
			}
			return nil, err
		}
		h := flight[start:]
		if h[0] != typ || h[1] != 3 || h[2] != 3 {
			return nil, fmt.Errorf("%w: %#02x %#02x%02x in the server flight", ErrUnexpectedRecord, h[0], h[1], h[2])
		}
		n := recordLen(h)
		switch {
		case n > MaxReadPayload:
			return nil, ErrRecordTooLarge
		case typ == TypeChangeCipherSpec && n != 1:
			return nil, fmt.Errorf("%w: ChangeCipherSpec of %d bytes", ErrUnexpectedRecord, n)
		}
		flight = append(flight, make([]byte, n)...)
		if _, err := io.ReadFull(r, flight[start+RecordHeaderLen:]); err != nil {
			return nil, noEOF(err)
		}
	}
	return flight, nil
}

// VerifyServerFlight checks the server_random of a flight (as returned by
// ReadServerFlight) the way TDLib does: it must equal HMAC-SHA256(secret,
// clientRandom || flight with server_random zeroed). ErrBadDigest otherwise.
func VerifyServerFlight(secret [16]byte, clientRandom [32]byte, flight []byte) error {
	if len(flight) < randomOffset+randomLen {
		return fmt.Errorf("%w: flight of %d bytes", ErrBadDigest, len(flight))
	}
	m := newMAC()
	m.reset(&secret)
	m.write(clientRandom[:])
	m.writeZeroed(flight)
	if subtle.ConstantTimeCompare(m.finish()[:], flight[randomOffset:randomOffset+randomLen]) != 1 {
		return ErrBadDigest
	}
	return nil
}

// noEOF turns io.EOF inside a record into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
