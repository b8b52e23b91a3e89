package rpc

import (
	"encoding/binary"
	"fmt"
)

// Type is the first u32 (little-endian) of every RPC message.
type Type uint32

// Message types. Sources: net/net-tcp-rpc-common.h (RPC_NONCE, RPC_HANDSHAKE,
// RPC_HANDSHAKE_ERROR), mtproto/mtproto-common.h (RPC_PROXY_*, RPC_CLOSE_*,
// RPC_SIMPLE_ACK), common/rpc-const.h (RPC_PING, RPC_PONG).
const (
	TypeNonce          Type = 0x7acb87aa
	TypeHandshake      Type = 0x7682eef5
	TypeHandshakeError Type = 0x6a27beda
	TypeProxyReq       Type = 0x36cef1ee
	TypeProxyAns       Type = 0x4403da0d
	TypeSimpleAck      Type = 0x3bac409b
	TypeCloseExt       Type = 0x5eb634a2
	TypeCloseConn      Type = 0x1fcf425d
	TypePing           Type = 0x5730a2df
	TypePong           Type = 0x8430eaa7
)

// String returns the protocol name, e.g. "RPC_PROXY_ANS", or the hex value.
func (t Type) String() string {
	switch t {
	case TypeNonce:
		return "RPC_NONCE"
	case TypeHandshake:
		return "RPC_HANDSHAKE"
	case TypeHandshakeError:
		return "RPC_HANDSHAKE_ERROR"
	case TypeProxyReq:
		return "RPC_PROXY_REQ"
	case TypeProxyAns:
		return "RPC_PROXY_ANS"
	case TypeSimpleAck:
		return "RPC_SIMPLE_ACK"
	case TypeCloseExt:
		return "RPC_CLOSE_EXT"
	case TypeCloseConn:
		return "RPC_CLOSE_CONN"
	case TypePing:
		return "RPC_PING"
	case TypePong:
		return "RPC_PONG"
	}
	return fmt.Sprintf("0x%08x", uint32(t))
}

// PeekType returns the type of a message payload.
func PeekType(payload []byte) (Type, error) {
	if len(payload) < 4 {
		return 0, fmt.Errorf("%w: %d bytes, no type", ErrMessageSize, len(payload))
	}
	return Type(binary.LittleEndian.Uint32(payload)), nil
}

// expect checks a payload's type and exact (or minimum, if atLeast) size.
func expect(payload []byte, t Type, size int, atLeast bool) error {
	got, err := PeekType(payload)
	if err != nil {
		return err
	}
	if got != t {
		return fmt.Errorf("%w: got %v, want %v", ErrUnexpectedType, got, t)
	}
	if len(payload) < size || (!atLeast && len(payload) != size) {
		return fmt.Errorf("%w: %v of %d bytes", ErrMessageSize, t, len(payload))
	}
	return nil
}

// Little-endian append helpers.
func appendU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func appendU64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
func u32(b []byte) uint32                 { return binary.LittleEndian.Uint32(b) }
func u64(b []byte) uint64                 { return binary.LittleEndian.Uint64(b) }
