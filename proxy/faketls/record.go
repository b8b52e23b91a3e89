package faketls

import (
	"encoding/binary"
	"errors"
)

// TLS record layer constants.
const (
	// RecordHeaderLen is the size of a TLS record header: type, version, length.
	RecordHeaderLen = 5
	// MaxRecordPayload is the largest record payload this package writes (2^14).
	MaxRecordPayload = 16384
	// MaxReadPayload is the largest record payload accepted from a peer after
	// the handshake: 2^14 plus the 256 bytes TLS 1.3 allows for ciphertext expansion.
	MaxReadPayload = MaxRecordPayload + 256
	// MaxHelloSize is the largest ClientHello handshake message accepted,
	// counting its 4-byte handshake header. It fits exactly one record.
	MaxHelloSize = 16384
	// HelloBufferSize is the buffer capacity callers should give
	// [ReadClientHello]: a maximal hello in up to 64 records. Hellos of usual
	// size leave enough room that a fragmented one is re-framed in the buffer
	// too, without allocating.
	HelloBufferSize = MaxHelloSize + 64*RecordHeaderLen
)

// TLS record content types.
const (
	TypeChangeCipherSpec = 0x14
	TypeAlert            = 0x15
	TypeHandshake        = 0x16
	TypeApplicationData  = 0x17
)

const (
	handshakeHeaderLen = 4
	typeClientHello    = 0x01
	typeServerHello    = 0x02
	randomOffset       = RecordHeaderLen + handshakeHeaderLen + 2 // record and handshake headers, legacy_version
	randomLen          = 32
	maxSessionIDLen    = 32
	timestampOffset    = 28 // of the client_random: where the XORed timestamp sits
)

// Errors returned by this package. They are sentinels: test them with errors.Is.
var (
	// ErrNotTLS means the stream does not start with a TLS handshake record.
	ErrNotTLS = errors.New("faketls: not a TLS handshake")
	// ErrBadHello means the ClientHello is malformed.
	ErrBadHello = errors.New("faketls: malformed ClientHello")
	// ErrHelloTooLarge means the ClientHello exceeds MaxHelloSize or the read buffer.
	ErrHelloTooLarge = errors.New("faketls: ClientHello too large")
	// ErrBadDigest means no secret authenticates the hello (or server flight).
	ErrBadDigest = errors.New("faketls: digest matches no secret")
	// ErrStaleTimestamp means the hello's timestamp is outside the accepted window.
	ErrStaleTimestamp = errors.New("faketls: timestamp outside window")
	// ErrUnexpectedRecord means a record of a type or version not allowed here.
	ErrUnexpectedRecord = errors.New("faketls: unexpected TLS record")
	// ErrRecordTooLarge means a record's length field exceeds the allowed payload.
	ErrRecordTooLarge = errors.New("faketls: TLS record too large")
	// ErrBadServerHello means a ServerHello is malformed.
	ErrBadServerHello = errors.New("faketls: malformed ServerHello")
	// ErrBadProfile means a ServerProfile cannot shape a flight.
	ErrBadProfile = errors.New("faketls: unusable server profile")
	// ErrBadLength means a length argument is out of range.
	ErrBadLength = errors.New("faketls: length out of range")
)

// LooksLikeHello reports whether the first bytes of a stream look like a TLS
// handshake record: 16 03 01 or 16 03 03. It needs 3 bytes; fewer give false.
func LooksLikeHello(prefix []byte) bool {
	return len(prefix) >= 3 && prefix[0] == TypeHandshake && helloVersion(prefix[1], prefix[2])
}

// helloVersion reports whether a record version is one ClientHello records carry.
func helloVersion(major, minor byte) bool {
	return major == 3 && (minor == 1 || minor == 3)
}

// PutRecordHeader writes an application-data record header 17 03 03 <len>
// into dst[:5]. payloadLen must be in [0, 65535]; the package never writes
// payloads over MaxRecordPayload.
func PutRecordHeader(dst []byte, payloadLen int) {
	_ = dst[4]
	dst[0] = TypeApplicationData
	dst[1], dst[2] = 3, 3
	binary.BigEndian.PutUint16(dst[3:5], uint16(payloadLen))
}

// AppendChangeCipherSpec appends the ChangeCipherSpec record 14 03 03 00 01 01
// that both sides send once after the hellos.
func AppendChangeCipherSpec(dst []byte) []byte {
	return append(dst, TypeChangeCipherSpec, 3, 3, 0, 1, 1)
}

// recordLen returns the payload length of the record header h.
func recordLen(h []byte) int {
	return int(binary.BigEndian.Uint16(h[3:5]))
}
