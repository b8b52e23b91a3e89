package mtproto

import (
	"encoding/binary"
	"fmt"
)

// PlainHeaderLen is the size of an unencrypted message's envelope:
// auth_key_id, msg_id and message_data_length.
const PlainHeaderLen = 8 + 8 + 4

// Constructor ids of the messages this package knows.
const (
	CtorReqPQMulti  uint32 = 0xbe7e8ef1
	CtorResPQ       uint32 = 0x05162463
	CtorReqDHParams uint32 = 0xd712e4be
	CtorVectorLong  uint32 = 0x1cb5c415 // the generic vector constructor
)

// AppendPlain appends an unencrypted message carrying body to dst.
func AppendPlain(dst []byte, msgID int64, body []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(msgID))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}

// ParsePlain splits an unencrypted message into its msg_id and body. The
// auth_key_id must be 0 (ErrNotPlain), the msg_id nonzero (ErrBadMsgID), and
// message_data_length must equal the bytes that follow (ErrBadLength): the
// transports deliver whole packets, and neither Telegram nor Telethon pads
// unencrypted messages. body aliases pkt.
func ParsePlain(pkt []byte) (msgID int64, body []byte, err error) {
	if len(pkt) < PlainHeaderLen {
		return 0, nil, fmt.Errorf("%w: %d-byte message", ErrShort, len(pkt))
	}
	if binary.LittleEndian.Uint64(pkt) != 0 {
		return 0, nil, ErrNotPlain
	}
	msgID = int64(binary.LittleEndian.Uint64(pkt[8:]))
	if msgID == 0 {
		return 0, nil, ErrBadMsgID
	}
	n := binary.LittleEndian.Uint32(pkt[16:])
	if uint64(n) != uint64(len(pkt)-PlainHeaderLen) {
		return 0, nil, fmt.Errorf("%w: %d declared, %d present", ErrBadLength, n, len(pkt)-PlainHeaderLen)
	}
	return msgID, pkt[PlainHeaderLen:], nil
}

// Constructor returns the constructor id of an unencrypted message's body,
// for routing a packet before parsing it in full. ok is false when pkt is
// not a well-formed unencrypted message with at least 4 body bytes.
func Constructor(pkt []byte) (ctor uint32, ok bool) {
	_, body, err := ParsePlain(pkt)
	if err != nil || len(body) < 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(body), true
}

// expect checks that body starts with ctor and returns the rest.
func expect(body []byte, ctor uint32) ([]byte, error) {
	if len(body) < 4 {
		return nil, fmt.Errorf("%w: %d-byte body", ErrShort, len(body))
	}
	if got := binary.LittleEndian.Uint32(body); got != ctor {
		return nil, fmt.Errorf("%w: %#08x, want %#08x", ErrConstructor, got, ctor)
	}
	return body[4:], nil
}
