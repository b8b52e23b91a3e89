package mtproto

import (
	"encoding/binary"
	"fmt"
)

// ReqPQMultiLen is the size of a req_pq_multi message: the 20-byte envelope
// and the 20-byte body.
const ReqPQMultiLen = PlainHeaderLen + 4 + 16

// AppendReqPQMulti appends an unencrypted req_pq_multi message, the first
// packet of every MTProto key exchange, to dst.
func AppendReqPQMulti(dst []byte, msgID int64, nonce [16]byte) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(msgID))
	dst = binary.LittleEndian.AppendUint32(dst, 4+16)
	dst = binary.LittleEndian.AppendUint32(dst, CtorReqPQMulti)
	return append(dst, nonce[:]...)
}

// ParseReqPQMulti parses an unencrypted req_pq_multi message and returns
// its msg_id and nonce.
func ParseReqPQMulti(pkt []byte) (msgID int64, nonce [16]byte, err error) {
	msgID, body, err := ParsePlain(pkt)
	if err != nil {
		return 0, nonce, err
	}
	rest, err := expect(body, CtorReqPQMulti)
	if err != nil {
		return 0, nonce, err
	}
	if rest, err = readInt128(rest, &nonce); err != nil {
		return 0, nonce, err
	}
	if len(rest) != 0 {
		return 0, nonce, fmt.Errorf("%w: %d bytes", ErrTrailing, len(rest))
	}
	return msgID, nonce, nil
}
