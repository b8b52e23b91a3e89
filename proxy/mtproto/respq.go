package mtproto

import (
	"encoding/binary"
	"fmt"
)

// Defaults a fake DC answers with, chosen so that Telethon 1.25.1 goes on
// to send req_DH_params (see the package documentation).
const (
	// DefaultPQ is a product of two primes, 1229739323 * 1402015859, as
	// Telegram sends.
	DefaultPQ uint64 = 0x17ED48941A08F981
	// DefaultFingerprint is the fingerprint of a current RSA key that
	// Telethon 1.25.1 knows.
	DefaultFingerprint int64 = 0x0bc35f3509f7b7a5
)

// maxFingerprints bounds the vector a parser accepts; Telegram sends one
// to three.
const maxFingerprints = 64

// ResPQ is the server's answer to req_pq_multi.
type ResPQ struct {
	Nonce        [16]byte // the client's nonce, echoed
	ServerNonce  [16]byte
	PQ           uint64 // sent as big-endian TL bytes, shortest form
	Fingerprints []int64
}

// Append appends r as an unencrypted message with the given msg_id (a
// server response: 1 mod 4) to dst.
func (r *ResPQ) Append(dst []byte, msgID int64) []byte {
	body := make([]byte, 0, 4+32+12+8+8*len(r.Fingerprints))
	body = binary.LittleEndian.AppendUint32(body, CtorResPQ)
	body = append(body, r.Nonce[:]...)
	body = append(body, r.ServerNonce[:]...)
	body = AppendBytes(body, appendBigEndian(nil, r.PQ))
	body = binary.LittleEndian.AppendUint32(body, CtorVectorLong)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(r.Fingerprints)))
	for _, f := range r.Fingerprints {
		body = binary.LittleEndian.AppendUint64(body, uint64(f))
	}
	return AppendPlain(dst, msgID, body)
}

// ParseResPQ parses an unencrypted resPQ message.
func ParseResPQ(pkt []byte) (msgID int64, r *ResPQ, err error) {
	msgID, body, err := ParsePlain(pkt)
	if err != nil {
		return 0, nil, err
	}
	rest, err := expect(body, CtorResPQ)
	if err != nil {
		return 0, nil, err
	}
	r = new(ResPQ)
	if rest, err = readInt128(rest, &r.Nonce); err != nil {
		return 0, nil, err
	}
	if rest, err = readInt128(rest, &r.ServerNonce); err != nil {
		return 0, nil, err
	}
	pq, rest, err := readBytes(rest)
	if err != nil {
		return 0, nil, err
	}
	if r.PQ, err = bigEndian(pq); err != nil {
		return 0, nil, err
	}
	if r.Fingerprints, rest, err = readLongVector(rest); err != nil {
		return 0, nil, err
	}
	if len(rest) != 0 {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrTrailing, len(rest))
	}
	return msgID, r, nil
}

// readLongVector reads a boxed vector<long>.
func readLongVector(b []byte) ([]int64, []byte, error) {
	rest, err := expect(b, CtorVectorLong)
	if err != nil {
		return nil, nil, err
	}
	if len(rest) < 4 {
		return nil, nil, fmt.Errorf("%w: vector count", ErrShort)
	}
	n := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if n > maxFingerprints {
		return nil, nil, fmt.Errorf("%w: vector of %d", ErrTooLarge, n)
	}
	v := make([]int64, n)
	for i := range v {
		if v[i], rest, err = readLong(rest); err != nil {
			return nil, nil, err
		}
	}
	return v, rest, nil
}
