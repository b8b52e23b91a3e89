package middle

import "encoding/binary"

// Constructors of the unencrypted messages a client may send before it
// has an auth key: the key exchange (https://core.telegram.org/mtproto/auth_key).
const (
	ctorReqPQ             = 0x60469778
	ctorReqPQMulti        = 0xbe7e8ef1
	ctorReqDHParams       = 0xd712e4be
	ctorSetClientDHParams = 0xf5045f1f
)

// Sizes checked by classifyPacket, as in forward_mtproto_packet of the
// official proxy (mtproto/mtproto-proxy.c).
const (
	// minPacket: auth_key_id, msg_id, length and at least a constructor
	// and part of a nonce (7 words).
	minPacket = 28
	// minEncrypted is offsetof(struct encrypted_message, message):
	// auth_key_id 8, msg_key 16, salt 8, session 8, msg_id 8, seq 4, len 4.
	minEncrypted = 56
	// plainHeader is auth_key_id, msg_id and message_data_length.
	plainHeader = 20
)

// classifyPacket decides whether a client packet may be forwarded, the way
// the official proxy does: an encrypted message (auth_key_id != 0) must be
// long enough to hold its header; an unencrypted one must carry a
// consistent length and be one of the key exchange messages, the only
// plaintext a client sends. unencrypted selects rpc.FlagNotEncrypted.
// Packets that fail are not forwarded (the official proxy ignores them).
func classifyPacket(pkt []byte) (unencrypted, ok bool) {
	if len(pkt) < minPacket || len(pkt)%4 != 0 {
		return false, false
	}
	if binary.LittleEndian.Uint64(pkt) != 0 {
		return false, len(pkt) >= minEncrypted
	}
	inner := int64(int32(binary.LittleEndian.Uint32(pkt[16:])))
	if inner < 20 || inner+plainHeader > int64(len(pkt)) {
		return true, false
	}
	switch binary.LittleEndian.Uint32(pkt[plainHeader:]) {
	case ctorReqPQ, ctorReqPQMulti, ctorReqDHParams, ctorSetClientDHParams:
		return true, true
	}
	return true, false
}
