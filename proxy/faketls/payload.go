package faketls

import (
	"errors"
	"io"
)

// ReadPayload fills dst with the first application-data payload bytes of
// a client's records after the server's flight (its ChangeCipherSpec is
// skipped), reading exactly what the records announce so that nothing past
// dst's last byte is consumed. u keeps the record state, to unwrap the
// rest of the stream. Errors are u's (ErrUnexpectedRecord,
// ErrRecordTooLarge), ErrUnexpectedRecord for a record other than
// application data longer than dst, and r's.
func ReadPayload(r io.Reader, u *Unwrapper, dst []byte) error {
	var rec [RecordHeaderLen]byte
	scratch := dst // a ChangeCipherSpec's byte lands here and is dropped
	got := 0
	for got < len(dst) {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			return err
		}
		if _, err := u.Unwrap(rec[:]); err != nil {
			return err
		}
		length := recordLen(rec[:])
		need := min(length, len(dst)-got)
		if rec[0] != TypeApplicationData {
			if length > len(dst)-got {
				return ErrUnexpectedRecord
			}
			need = length
		}
		buf := scratch[got : got+need]
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		payload, err := u.Unwrap(buf)
		if err != nil {
			return err
		}
		got += len(payload) // payload is buf itself, or empty for a ChangeCipherSpec
	}
	return nil
}

// IsMalformed reports whether err says the peer's bytes are no valid
// FakeTLS (as opposed to a read that failed or timed out).
func IsMalformed(err error) bool {
	return errors.Is(err, ErrNotTLS) || errors.Is(err, ErrBadHello) || errors.Is(err, ErrHelloTooLarge) ||
		errors.Is(err, ErrUnexpectedRecord) || errors.Is(err, ErrRecordTooLarge)
}

// AlertUnrecognizedName is the alert a TLS server sends for a server name
// it does not serve (RFC 6066), when configured to refuse rather than
// serve a default site.
const AlertUnrecognizedName = 112

// AppendAlert appends a fatal alert record 15 03 03 00 02 02 <description>.
func AppendAlert(dst []byte, description byte) []byte {
	return append(dst, TypeAlert, 3, 3, 0, 2, 2, description)
}
