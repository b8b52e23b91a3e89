package framing

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MaxPacketSize is the largest packet payload accepted by default: the
// official MTProxy's MAX_POST_SIZE (255 * 4096 bytes), just under 1 MiB.
// Telegram clients upload in parts of at most 512 KiB.
const MaxPacketSize = 1044480

const (
	maxHeaderLen     = 4
	quickAckBit      = 1 << 31
	abridgedQuickAck = 0x80
	abridgedLong     = 0x7f
	maxAbridgedWords = 1<<24 - 1
	maxIntermediate  = 1<<31 - 1
)

// Errors returned by this package.
var (
	// ErrShortHeader means more bytes are needed to parse the header.
	ErrShortHeader = errors.New("framing: need more bytes for the packet header")
	// ErrBadLength means a zero length, or one that is not a multiple of 4
	// where the transport requires it.
	ErrBadLength = errors.New("framing: invalid packet length")
	// ErrPacketTooLarge means a packet exceeds the configured maximum.
	ErrPacketTooLarge = errors.New("framing: packet too large")
	// ErrBadTransport means the Transport is not one of the three known.
	ErrBadTransport = errors.New("framing: invalid transport")
)

// ParseHeader parses the packet header at the start of b, as sent from
// client to server (a set quick-ACK bit is a request). length is the number
// of bytes that follow the header; for Padded it includes the random tail,
// and the payload is the first length&^3 bytes. Lengths above MaxPacketSize
// yield ErrPacketTooLarge; ErrShortHeader means b holds too few bytes yet.
func ParseHeader(t Transport, b []byte) (length, headerLen int, quickAck bool, err error) {
	return parseHeader(t, b, MaxPacketSize)
}

// parseHeader is ParseHeader with a payload limit.
func parseHeader(t Transport, b []byte, limit int) (length, headerLen int, quickAck bool, err error) {
	switch t {
	case Abridged:
		if len(b) < 1 {
			return 0, 0, false, ErrShortHeader
		}
		quickAck = b[0]&abridgedQuickAck != 0
		words, headerLen := int(b[0]&^abridgedQuickAck), 1
		if words == abridgedLong {
			if len(b) < 4 {
				return 0, 0, false, ErrShortHeader
			}
			words, headerLen = int(b[1])|int(b[2])<<8|int(b[3])<<16, 4
		}
		length = words * 4
		if length == 0 {
			return 0, 0, false, ErrBadLength
		}
		if length > limit {
			return 0, 0, false, ErrPacketTooLarge
		}
		return length, headerLen, quickAck, nil
	case Intermediate, Padded:
		if len(b) < 4 {
			return 0, 0, false, ErrShortHeader
		}
		v := binary.LittleEndian.Uint32(b)
		quickAck = v&quickAckBit != 0
		length = int(v &^ quickAckBit)
		payload := length
		if t == Padded {
			payload = length &^ 3
		} else if length%4 != 0 {
			return 0, 0, false, ErrBadLength
		}
		if payload == 0 {
			return 0, 0, false, ErrBadLength
		}
		if payload > limit {
			return 0, 0, false, ErrPacketTooLarge
		}
		return length, 4, quickAck, nil
	}
	return 0, 0, false, ErrBadTransport
}

// checkLength reports whether length can be framed by t.
func checkLength(t Transport, length int) error {
	switch t {
	case Abridged:
		if length <= 0 || length%4 != 0 {
			return ErrBadLength
		}
		if length/4 > maxAbridgedWords {
			return ErrPacketTooLarge
		}
	case Intermediate, Padded:
		if length <= 0 || (t == Intermediate && length%4 != 0) {
			return ErrBadLength
		}
		if length > maxIntermediate {
			return ErrPacketTooLarge
		}
	default:
		return ErrBadTransport
	}
	return nil
}

// AppendHeader appends the header of a packet with length bytes after it
// (for Padded, payload plus random tail) and returns the extended slice.
// Abridged uses the short form whenever it fits. length must be positive
// and a multiple of 4 (Padded: any positive length) and within the
// transport's range, and t must be valid: AppendHeader panics otherwise,
// since such a call is a programming error. Writer validates before
// calling it.
func AppendHeader(dst []byte, t Transport, length int, quickAck bool) []byte {
	if err := checkLength(t, length); err != nil {
		panic(fmt.Sprintf("framing.AppendHeader(%v, %d): %v", t, length, err))
	}
	if t == Abridged {
		words := length / 4
		var flag byte
		if quickAck {
			flag = abridgedQuickAck
		}
		if words < abridgedLong {
			return append(dst, byte(words)|flag)
		}
		return append(dst, abridgedLong|flag, byte(words), byte(words>>8), byte(words>>16))
	}
	v := uint32(length)
	if quickAck {
		v |= quickAckBit
	}
	return binary.LittleEndian.AppendUint32(dst, v)
}
