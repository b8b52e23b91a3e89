package framing

import "github.com/mtproxy/mtproxy/internal/enum"

// Transport identifies how MTProto packets are framed inside a client's
// (or a DC's) byte stream. The obfuscated2 header carries it as a 4-byte
// protocol tag.
type Transport uint8

// The three MTProto transports a proxy meets.
const (
	// Abridged: one length byte (len/4) or 0x7f + 3 bytes; tag ef ef ef ef.
	Abridged Transport = iota + 1
	// Intermediate: u32 LE length; tag ee ee ee ee.
	Intermediate
	// Padded intermediate ("dd" secure mode): like Intermediate with 0..15
	// random tail bytes; tag dd dd dd dd.
	Padded
	numTransports
)

// Tag returns the 4-byte protocol tag of t as it appears at bytes 56..59 of
// a decrypted obfuscated2 header.
func (t Transport) Tag() [4]byte {
	switch t {
	case Abridged:
		return [4]byte{0xef, 0xef, 0xef, 0xef}
	case Intermediate:
		return [4]byte{0xee, 0xee, 0xee, 0xee}
	case Padded:
		return [4]byte{0xdd, 0xdd, 0xdd, 0xdd}
	}
	return [4]byte{}
}

// TransportFromTag maps a decrypted protocol tag to its transport.
func TransportFromTag(tag [4]byte) (Transport, bool) {
	for _, t := range [...]Transport{Abridged, Intermediate, Padded} {
		if t.Tag() == tag {
			return t, true
		}
	}
	return 0, false
}

var transportNames = [...]string{
	Abridged:     "abridged",
	Intermediate: "intermediate",
	Padded:       "padded",
}

// One name per Transport: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(transportNames)-int(numTransports)]

// String returns the transport's name as used in logs and metric labels.
func (t Transport) String() string { return enum.Name(transportNames[:], t) }

// Valid reports whether t is one of the three known transports.
func (t Transport) Valid() bool { return t >= Abridged && t <= Padded }
