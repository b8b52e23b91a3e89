package mtproto

import (
	"encoding/binary"
	"fmt"
)

// ReqDHParams is the client's second key-exchange message. A fake DC only
// records it: it proves the client received and accepted a resPQ.
type ReqDHParams struct {
	Nonce         [16]byte
	ServerNonce   [16]byte
	P, Q          uint64 // big-endian TL bytes on the wire
	Fingerprint   int64
	EncryptedData []byte // 256 bytes from real clients
}

// Append appends r as an unencrypted message to dst. Real clients send it;
// tests use it to exercise a fake DC without running one.
func (r *ReqDHParams) Append(dst []byte, msgID int64) []byte {
	body := make([]byte, 0, 4+32+16+8+4+len(r.EncryptedData)+3)
	body = binary.LittleEndian.AppendUint32(body, CtorReqDHParams)
	body = append(body, r.Nonce[:]...)
	body = append(body, r.ServerNonce[:]...)
	body = AppendBytes(body, appendBigEndian(nil, r.P))
	body = AppendBytes(body, appendBigEndian(nil, r.Q))
	body = binary.LittleEndian.AppendUint64(body, uint64(r.Fingerprint))
	body = AppendBytes(body, r.EncryptedData)
	return AppendPlain(dst, msgID, body)
}

// ParseReqDHParams parses an unencrypted req_DH_params message.
// EncryptedData is a copy, independent of pkt.
func ParseReqDHParams(pkt []byte) (msgID int64, r *ReqDHParams, err error) {
	msgID, body, err := ParsePlain(pkt)
	if err != nil {
		return 0, nil, err
	}
	rest, err := expect(body, CtorReqDHParams)
	if err != nil {
		return 0, nil, err
	}
	r = new(ReqDHParams)
	if rest, err = readInt128(rest, &r.Nonce); err != nil {
		return 0, nil, err
	}
	if rest, err = readInt128(rest, &r.ServerNonce); err != nil {
		return 0, nil, err
	}
	for _, dst := range [...]*uint64{&r.P, &r.Q} {
		var b []byte
		if b, rest, err = readBytes(rest); err != nil {
			return 0, nil, err
		}
		if *dst, err = bigEndian(b); err != nil {
			return 0, nil, err
		}
	}
	if r.Fingerprint, rest, err = readLong(rest); err != nil {
		return 0, nil, err
	}
	data, rest, err := readBytes(rest)
	if err != nil {
		return 0, nil, err
	}
	if len(rest) != 0 {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrTrailing, len(rest))
	}
	r.EncryptedData = append([]byte(nil), data...)
	return msgID, r, nil
}
