package wire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// Type is a frame type.
type Type uint8

// The frame types.
const (
	TypeOpen    Type = 0x01 // client → relay, stream > 0, empty: open a stream
	TypeData    Type = 0x02 // both, stream > 0, non-empty: stream bytes
	TypeClose   Type = 0x03 // both, stream > 0, empty: abort the stream
	TypeWindow  Type = 0x04 // both, stream > 0, u32 delta > 0: flow-control credit
	TypePing    Type = 0x05 // relay → client, stream 0, token
	TypePong    Type = 0x06 // client → relay, stream 0, the ping's token
	TypeHello   Type = 0x10 // client → relay, stream 0, payload 01: session creation
	TypeWelcome Type = 0x11 // relay → client, stream 0, empty: session created
	TypeBye     Type = 0x1f // relay → client, stream 0, reserved payload: session ends
)

// Sizes and limits of the protocol.
const (
	// HeaderLen is the size of a frame header.
	HeaderLen = 8
	// MaxPayload bounds any frame's payload.
	MaxPayload = 1 << 20
	// MaxDataChunk bounds the DATA payloads the relay sends.
	MaxDataChunk = 64 << 10
	// MaxBatchFrames and MaxBatchBytes bound one carrier body.
	MaxBatchFrames = 4096
	MaxBatchBytes  = 2 << 20
	// InitialWindow is each stream's implicit credit in each direction.
	InitialWindow = 4 << 20
	// MaxStreamID is the largest stream id (24 bits).
	MaxStreamID = 1<<24 - 1
	// MaxTokenLen bounds a PING or PONG token.
	MaxTokenLen = 64
	// HelloVersion is the payload of the only HELLO there is.
	HelloVersion = 0x01
)

// Side is who sent a frame.
type Side uint8

// The sides.
const (
	FromClient Side = iota + 1 // the bridge page, on the app's behalf
	FromRelay                  // the relay
	numSides
)

var sideNames = [...]string{FromClient: "client", FromRelay: "relay"}

// One name per Side: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(sideNames)-int(numSides)]

func (s Side) String() string { return enum.Name(sideNames[:], s) }

// Errors returned by this package. Each protocol error kills the session
// that received it.
var (
	// ErrPartial means the bytes end inside a frame.
	ErrPartial = errors.New("wire: partial frame")
	// ErrUnknownType means a frame type not in the protocol.
	ErrUnknownType = errors.New("wire: unknown frame type")
	// ErrWrongDirection means a frame the sending side may not send.
	ErrWrongDirection = errors.New("wire: frame sent in the wrong direction")
	// ErrBadStream means a stream id of zero on a stream frame, or non-zero
	// on a session frame.
	ErrBadStream = errors.New("wire: bad stream id for the frame type")
	// ErrBadPayload means a payload the frame type does not allow (OPEN or
	// CLOSE not empty, empty DATA, a zero or short WINDOW, a bad HELLO).
	ErrBadPayload = errors.New("wire: bad payload for the frame type")
	// ErrTooLarge means a payload above MaxPayload.
	ErrTooLarge = errors.New("wire: payload too large")
	// ErrBatch means a carrier body over MaxBatchFrames or MaxBatchBytes.
	ErrBatch = errors.New("wire: batch too large")
)

// Frame is one decoded frame. Payload aliases the parsed bytes.
type Frame struct {
	Type    Type
	Stream  uint32
	Payload []byte
}

// Window returns a WINDOW frame's delta.
func (f Frame) Window() uint32 { return binary.BigEndian.Uint32(f.Payload) }

func (t Type) String() string {
	switch t {
	case TypeOpen:
		return "OPEN"
	case TypeData:
		return "DATA"
	case TypeClose:
		return "CLOSE"
	case TypeWindow:
		return "WINDOW"
	case TypePing:
		return "PING"
	case TypePong:
		return "PONG"
	case TypeHello:
		return "HELLO"
	case TypeWelcome:
		return "WELCOME"
	case TypeBye:
		return "BYE"
	}
	return fmt.Sprintf("type(%#02x)", uint8(t))
}

// rule is what one frame type allows.
type rule struct {
	from   Side // 0: both
	stream bool // stream frame (id > 0), else session frame (id 0)
}

func ruleOf(t Type) (rule, bool) {
	switch t {
	case TypeOpen, TypeData, TypeClose, TypeWindow:
		r := rule{stream: true}
		if t == TypeOpen {
			r.from = FromClient
		}
		return r, true
	case TypePong, TypeHello:
		return rule{from: FromClient}, true
	case TypePing, TypeWelcome, TypeBye:
		return rule{from: FromRelay}, true
	}
	return rule{}, false
}

// Parse reads the frame at the front of b, sent by from, and returns it
// with the number of bytes it took. The payload aliases b. A header that
// is wrong on its own (type, direction, stream id, length) is refused
// before its payload arrives; ErrPartial means b ends inside the frame.
func Parse(b []byte, from Side) (Frame, int, error) {
	if len(b) < HeaderLen {
		return Frame{}, 0, ErrPartial
	}
	f := Frame{Type: Type(b[0]), Stream: uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])}
	n := binary.BigEndian.Uint32(b[4:8])
	r, ok := ruleOf(f.Type)
	switch {
	case !ok:
		return Frame{}, 0, fmt.Errorf("%w %#02x", ErrUnknownType, b[0])
	case r.from != 0 && r.from != from:
		return Frame{}, 0, fmt.Errorf("%w: %s from the %s", ErrWrongDirection, f.Type, from)
	case r.stream != (f.Stream != 0):
		return Frame{}, 0, fmt.Errorf("%w: %s on stream %d", ErrBadStream, f.Type, f.Stream)
	case n > MaxPayload:
		return Frame{}, 0, fmt.Errorf("%w: %s of %d bytes", ErrTooLarge, f.Type, n)
	}
	if err := checkLength(f.Type, n); err != nil {
		return Frame{}, 0, err
	}
	end := HeaderLen + int(n)
	if len(b) < end {
		return Frame{}, 0, ErrPartial
	}
	f.Payload = b[HeaderLen:end:end]
	if err := checkPayload(f); err != nil {
		return Frame{}, 0, err
	}
	return f, end, nil
}

// checkLength checks the payload length a type allows.
func checkLength(t Type, n uint32) error {
	ok := true
	switch t {
	case TypeOpen, TypeClose, TypeWelcome:
		ok = n == 0
	case TypeData:
		ok = n > 0
	case TypeWindow:
		ok = n == 4
	case TypeHello:
		ok = n == 1
	case TypePing, TypePong:
		ok = n <= MaxTokenLen
	}
	if !ok {
		return fmt.Errorf("%w: %s of %d bytes", ErrBadPayload, t, n)
	}
	return nil
}

// checkPayload checks the payload's content.
func checkPayload(f Frame) error {
	switch {
	case f.Type == TypeWindow && f.Window() == 0:
		return fmt.Errorf("%w: WINDOW of 0", ErrBadPayload)
	case f.Type == TypeHello && f.Payload[0] != HelloVersion:
		return fmt.Errorf("%w: HELLO version %d", ErrBadPayload, f.Payload[0])
	}
	return nil
}

// CheckBatch validates a whole carrier body sent by from: whole frames
// only, at most MaxBatchFrames of them and MaxBatchBytes in all. It
// returns the number of frames.
func CheckBatch(b []byte, from Side) (int, error) {
	if len(b) > MaxBatchBytes {
		return 0, fmt.Errorf("%w: %d bytes", ErrBatch, len(b))
	}
	frames := 0
	for len(b) > 0 {
		if frames == MaxBatchFrames {
			return 0, fmt.Errorf("%w: more than %d frames", ErrBatch, MaxBatchFrames)
		}
		_, n, err := Parse(b, from)
		if err != nil {
			return 0, err
		}
		b = b[n:]
		frames++
	}
	return frames, nil
}

// PutHeader writes a frame header into b[:HeaderLen].
func PutHeader(b []byte, t Type, stream uint32, n int) {
	_ = b[HeaderLen-1]
	b[0] = byte(t)
	b[1], b[2], b[3] = byte(stream>>16), byte(stream>>8), byte(stream)
	binary.BigEndian.PutUint32(b[4:], uint32(n))
}

// AppendFrame appends the encoding of a frame to dst. It does not check
// the frame: the caller builds only frames its side may send.
func AppendFrame(dst []byte, t Type, stream uint32, payload []byte) []byte {
	var h [HeaderLen]byte
	PutHeader(h[:], t, stream, len(payload))
	return append(append(dst, h[:]...), payload...)
}

// AppendWindow appends a WINDOW frame granting delta bytes.
func AppendWindow(dst []byte, stream, delta uint32) []byte {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], delta)
	return AppendFrame(dst, TypeWindow, stream, p[:])
}

// Hello returns the HELLO frame, the body of a session creation.
func Hello() []byte { return AppendFrame(nil, TypeHello, 0, []byte{HelloVersion}) }

// Welcome returns the WELCOME frame, the answer to a session creation.
func Welcome() []byte { return AppendFrame(nil, TypeWelcome, 0, nil) }
