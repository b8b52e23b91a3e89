package fakedc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mtproxy/mtproxy/proxy/framing"
)

// Bulk control protocol. A client asks the DC for an asymmetric transfer
// with a 24-byte request (all little-endian):
//
//	magic u32 = BulkMagic ("BULK") | op u32 | total u64 | chunk u32 | flags u32 = 0
//
// In Packets mode the request is one packet of exactly those 24 bytes; in
// Raw mode it is the first 24 bytes of the stream, and then every request
// follows the previous transfer (a Raw connection whose stream does not
// start with the magic is an echo connection for good).
//
//	OpDownload  the DC sends total bytes of Pattern (offsets from 0), as fast
//	            as the client reads them: packets of chunk bytes (Packets
//	            mode; total must be a multiple of 4) or writes of chunk bytes
//	            (Raw). chunk 0 means DefaultChunk.
//	OpUpload    the client sends total bytes of Pattern: packets whose
//	            payloads add up to exactly total, or raw bytes. The DC checks
//	            them and answers with a 24-byte report (a packet, or raw
//	            bytes): BulkMagic | OpReport | received u64 | firstBad i64,
//	            firstBad being the offset of the first byte that differs
//	            from Pattern, or -1.
//
// A malformed request closes the connection (ErrBadControl).
const (
	BulkMagic      uint32 = 0x4b4c5542 // "BULK" as little-endian bytes
	BulkRequestLen        = 24
	DefaultChunk          = 64 << 10
	OpDownload     uint32 = 1
	OpUpload       uint32 = 2
	OpReport       uint32 = 3
	patternPeriod         = 251 // a prime, so the pattern never lines up with powers of two
	maxPacketChunk        = framing.MaxPacketSize
	maxRawChunk           = 1 << 20
)

// ErrBadControl means a bulk request or transfer broke the control protocol.
var ErrBadControl = errors.New("fakedc: malformed bulk control request")

// BulkRequest is a decoded bulk control request (see the constants above).
type BulkRequest struct {
	Op    uint32
	Total uint64
	Chunk uint32
}

// Append appends the 24-byte encoding of r to dst.
func (r BulkRequest) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, BulkMagic)
	dst = binary.LittleEndian.AppendUint32(dst, r.Op)
	dst = binary.LittleEndian.AppendUint64(dst, r.Total)
	dst = binary.LittleEndian.AppendUint32(dst, r.Chunk)
	return binary.LittleEndian.AppendUint32(dst, 0)
}

// IsBulk reports whether b starts with the bulk magic.
func IsBulk(b []byte) bool {
	return len(b) >= 4 && binary.LittleEndian.Uint32(b) == BulkMagic
}

// ParseBulkRequest decodes a 24-byte request. It checks the magic, the op
// (download or upload), the reserved flags and the chunk range; whether the
// total suits the mode is checked by the DC.
func ParseBulkRequest(b []byte) (BulkRequest, error) {
	if len(b) != BulkRequestLen || !IsBulk(b) {
		return BulkRequest{}, fmt.Errorf("%w: %d bytes", ErrBadControl, len(b))
	}
	r := BulkRequest{
		Op:    binary.LittleEndian.Uint32(b[4:]),
		Total: binary.LittleEndian.Uint64(b[8:]),
		Chunk: binary.LittleEndian.Uint32(b[16:]),
	}
	if r.Op != OpDownload && r.Op != OpUpload {
		return BulkRequest{}, fmt.Errorf("%w: op %d", ErrBadControl, r.Op)
	}
	if binary.LittleEndian.Uint32(b[20:]) != 0 {
		return BulkRequest{}, fmt.Errorf("%w: reserved flags set", ErrBadControl)
	}
	if r.Chunk > maxRawChunk {
		return BulkRequest{}, fmt.Errorf("%w: chunk of %d bytes", ErrBadControl, r.Chunk)
	}
	return r, nil
}

// BulkReport is the DC's answer to an upload.
type BulkReport struct {
	Received uint64
	FirstBad int64 // -1 when every byte matched Pattern
}

// Append appends the 24-byte encoding of r to dst.
func (r BulkReport) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, BulkMagic)
	dst = binary.LittleEndian.AppendUint32(dst, OpReport)
	dst = binary.LittleEndian.AppendUint64(dst, r.Received)
	return binary.LittleEndian.AppendUint64(dst, uint64(r.FirstBad))
}

// ParseBulkReport decodes a 24-byte upload report.
func ParseBulkReport(b []byte) (BulkReport, error) {
	if len(b) != BulkRequestLen || !IsBulk(b) || binary.LittleEndian.Uint32(b[4:]) != OpReport {
		return BulkReport{}, fmt.Errorf("%w: not a report", ErrBadControl)
	}
	return BulkReport{
		Received: binary.LittleEndian.Uint64(b[8:]),
		FirstBad: int64(binary.LittleEndian.Uint64(b[16:])),
	}, nil
}

// FillPattern fills p with the bulk pattern starting at stream offset off:
// byte i of the stream is i mod 251.
func FillPattern(p []byte, off uint64) {
	v := byte(off % patternPeriod)
	for i := range p {
		p[i] = v
		if v++; v == patternPeriod {
			v = 0
		}
	}
}

// CheckPattern returns the index in p of the first byte that differs from
// the pattern at stream offset off, or -1.
func CheckPattern(p []byte, off uint64) int {
	v := byte(off % patternPeriod)
	for i, b := range p {
		if b != v {
			return i
		}
		if v++; v == patternPeriod {
			v = 0
		}
	}
	return -1
}

// chunkFor returns the transfer unit for r: its chunk or DefaultChunk,
// capped (and for packets rounded down to a multiple of 4).
func chunkFor(r BulkRequest, packets bool) int {
	c := int(r.Chunk)
	if c == 0 {
		c = DefaultChunk
	}
	if packets {
		c = min(c, maxPacketChunk) &^ 3
		return max(c, 4)
	}
	return c
}
