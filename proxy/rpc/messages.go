package rpc

import "fmt"

// Sizes of the fixed messages, type included (mtproto/mtproto-common.h and
// the length checks in process_client_packet, mtproto/mtproto-proxy.c, and
// tcp_rpc_default_execute, net/net-tcp-rpc-common.c).
const (
	ProxyAnsHeaderSize = 16 // type | flags | conn_id, then the data
	SimpleAckSize      = 16 // type | conn_id | confirm
	CloseExtSize       = 12 // type | conn_id
	CloseConnSize      = 12 // type | conn_id
	PingSize           = 12 // type | ping_id
	PongSize           = 12 // type | ping_id
)

// ServerMessage is a decoded message from a middle proxy, after the
// handshake. Type tells which fields are set; switch on it:
//
//	TypeProxyAns:  Flags, ConnID, Data (the MTProto packet for the client)
//	TypeSimpleAck: ConnID, Confirm (the quick-ACK token)
//	TypeCloseExt:  ConnID (the middle proxy dropped that client)
//	TypePing:      PingID (answer with AppendPong)
//	TypePong:      PingID (the answer to our RPC_PING)
//
// Data aliases the parsed payload. A plain struct rather than an interface
// so that parsing allocates nothing.
type ServerMessage struct {
	Type   Type
	Flags  uint32
	ConnID uint64
	// Confirm is the SIMPLE_ACK token, read little-endian. The client wants
	// the 4 bytes as they were on the wire (binary.LittleEndian) for
	// intermediate and padded transports, byte-swapped (binary.BigEndian)
	// for abridged (process_client_packet, mtproto/mtproto-proxy.c).
	Confirm uint32
	PingID  uint64
	Data    []byte
}

// ParseServerMessage decodes a frame payload from a middle proxy: one of
// RPC_PROXY_ANS, RPC_SIMPLE_ACK, RPC_CLOSE_EXT, RPC_PING, RPC_PONG, each
// with the exact size the official proxy requires. Other types give an error
// wrapping ErrUnknownType (the official proxy logs and ignores them).
func ParseServerMessage(payload []byte) (ServerMessage, error) {
	t, err := PeekType(payload)
	if err != nil {
		return ServerMessage{}, err
	}
	m := ServerMessage{Type: t}
	switch t {
	case TypeProxyAns:
		if err := expect(payload, t, ProxyAnsHeaderSize, true); err != nil {
			return ServerMessage{}, err
		}
		m.Flags = u32(payload[4:])
		m.ConnID = u64(payload[8:])
		m.Data = payload[ProxyAnsHeaderSize:]
	case TypeSimpleAck:
		if err := expect(payload, t, SimpleAckSize, false); err != nil {
			return ServerMessage{}, err
		}
		m.ConnID = u64(payload[4:])
		m.Confirm = u32(payload[12:])
	case TypeCloseExt:
		if err := expect(payload, t, CloseExtSize, false); err != nil {
			return ServerMessage{}, err
		}
		m.ConnID = u64(payload[4:])
	case TypePing, TypePong:
		if err := expect(payload, t, PingSize, false); err != nil {
			return ServerMessage{}, err
		}
		m.PingID = u64(payload[4:])
	default:
		return ServerMessage{}, fmt.Errorf("%w: %v", ErrUnknownType, t)
	}
	return m, nil
}

// AppendCloseConn appends an RPC_CLOSE_CONN, which the proxy sends when a
// client connection ends (_notify_remote_closed), to dst.
func AppendCloseConn(dst []byte, connID uint64) []byte {
	return appendU64(appendU32(dst, uint32(TypeCloseConn)), connID)
}

// AppendPing appends an RPC_PING to dst.
func AppendPing(dst []byte, pingID uint64) []byte {
	return appendU64(appendU32(dst, uint32(TypePing)), pingID)
}

// AppendPong appends an RPC_PONG, the answer to an RPC_PING with the same
// id (tcp_rpc_default_execute), to dst.
func AppendPong(dst []byte, pingID uint64) []byte {
	return appendU64(appendU32(dst, uint32(TypePong)), pingID)
}
