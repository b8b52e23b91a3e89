package faketls

import "fmt"

// Unwrapper strips the TLS record framing from a client's stream in place,
// for the relay hot path. Feed it the bytes read from the socket in order;
// records may straddle calls at any point, headers included. Its zero value
// is ready; it must not be copied after first use.
//
// Application-data records (17 03 03) yield their payloads, empty ones
// included; ChangeCipherSpec records (14 03 03 00 01 01) are skipped. Alerts,
// handshake and unknown record types, versions other than 03 03 and a
// ChangeCipherSpec other than the one above give ErrUnexpectedRecord; a
// length over MaxReadPayload gives ErrRecordTooLarge. Errors are sticky.
type Unwrapper struct {
	left int // payload bytes of the current record still to come
	hdr  [RecordHeaderLen]byte
	hdrN int  // bytes of a straddling header gathered in hdr
	ccs  bool // the current record is a ChangeCipherSpec: drop its payload
	err  error
}

// Unwrap takes the next bytes read from the socket and returns b[:k] holding
// only the application-data payload bytes among them, headers removed by
// moving payload down within b. It never allocates on success. On error it
// returns the payload that preceded the bad record along with the error.
func (u *Unwrapper) Unwrap(b []byte) ([]byte, error) {
	if u.err != nil {
		return b[:0], u.err
	}
	r, w := 0, 0
	for r < len(b) {
		if u.left > 0 {
			n := min(u.left, len(b)-r)
			if u.ccs {
				if b[r] != 1 { // n == 1: the record is one byte long
					u.err = fmt.Errorf("%w: ChangeCipherSpec value %#02x", ErrUnexpectedRecord, b[r])
					return b[:w], u.err
				}
			} else {
				if w != r {
					copy(b[w:], b[r:r+n])
				}
				w += n
			}
			r += n
			u.left -= n
			continue
		}
		var h []byte
		if u.hdrN == 0 && len(b)-r >= RecordHeaderLen {
			h = b[r : r+RecordHeaderLen]
			r += RecordHeaderLen
		} else {
			k := copy(u.hdr[u.hdrN:], b[r:])
			u.hdrN += k
			r += k
			if u.hdrN < RecordHeaderLen {
				break
			}
			u.hdrN = 0
			h = u.hdr[:]
		}
		if err := u.begin(h); err != nil {
			u.err = err
			return b[:w], err
		}
	}
	return b[:w], nil
}

// begin starts the record whose header is h.
func (u *Unwrapper) begin(h []byte) error {
	n := recordLen(h)
	switch h[0] {
	case TypeApplicationData:
		u.ccs = false
	case TypeChangeCipherSpec:
		if n != 1 {
			return fmt.Errorf("%w: ChangeCipherSpec of %d bytes", ErrUnexpectedRecord, n)
		}
		u.ccs = true
	default:
		return fmt.Errorf("%w: type %#02x", ErrUnexpectedRecord, h[0])
	}
	if h[1] != 3 || h[2] != 3 {
		return fmt.Errorf("%w: version %#02x%02x", ErrUnexpectedRecord, h[1], h[2])
	}
	if n > MaxReadPayload {
		return ErrRecordTooLarge
	}
	u.left = n
	return nil
}

// Pending reports whether the stream stopped inside a record (its header or
// payload), so an EOF now would truncate it.
func (u *Unwrapper) Pending() bool {
	return u.left > 0 || u.hdrN > 0
}
