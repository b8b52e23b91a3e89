package rpc

import (
	"crypto/aes"
	"hash/crc32"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// Frame layout constants.
//
//	i32 len | i32 seq_no | payload (len-12 bytes, a multiple of 4) | u32 crc
//
// len counts the whole frame; crc covers len|seq_no|payload. A frame with
// len == 4 is padding (just the length word) and carries no seq_no.
// Source: net/net-tcp-rpc-common.c (tcp_rpc_conn_send*, tcp_rpc_flush),
// net/net-tcp-rpc-client.c (tcp_rpcc_parse_execute).
const (
	// FrameOverhead is the bytes a frame adds to its payload: len, seq, crc.
	FrameOverhead = 12
	// PaddingFrameLen is the length field of a padding frame.
	PaddingFrameLen = 4

	// SeqNonce and SeqHandshake are the sequence numbers of the two
	// handshake frames in each direction; regular frames count from 0.
	SeqNonce     int32 = -2
	SeqHandshake int32 = -1

	// MaxClientPacket is the official limit on a client packet forwarded in
	// an RPC_PROXY_REQ (MAX_POST_SIZE in mtproto/mtproto-proxy.c).
	MaxClientPacket = 262144*4 - 4096

	// DefaultMaxFrameSize bounds the length field of frames read and written
	// unless changed with SetMaxFrameSize. A client packet needs at most
	// MaxClientPacket + 84 bytes of RPC_PROXY_REQ header + 12; an answer can
	// be slightly larger than 1 MiB (upload.file with a 1 MiB chunk plus the
	// MTProto envelope). The official client sets no limit on what a middle
	// proxy sends; alexbers and seriyps cap at 16 MiB. 2 MiB keeps a
	// margin of about 2x over the largest legitimate frame while bounding
	// what a broken peer can make us buffer.
	DefaultMaxFrameSize = 2 << 20

	blockSize = aes.BlockSize
	// readBufSize is the initial read buffer: big enough for typical
	// answers plus read-ahead; it grows to the largest frame seen.
	readBufSize = 64 << 10
	// writeBufSize is the initial write buffer.
	writeBufSize = 16 << 10
)

// Checksum selects the frame CRC. Both sides start with CRC32 (IEEE); if
// both set HandshakeFlagCRC32C, frames after the two handshake frames use
// CRC32C (Castagnoli). The server computes its own handshake frame's CRC
// before switching (net/net-tcp-rpc-server.c, tcp_rpcs_parse_execute), the
// client switches after processing it (net/net-tcp-rpc-client.c,
// tcp_rpcc_process_handshake_packet).
type Checksum uint8

const (
	// ChecksumCRC32 is CRC-32/IEEE, the initial checksum.
	ChecksumCRC32 Checksum = iota
	// ChecksumCRC32C is CRC-32C (Castagnoli), negotiated in the handshake.
	ChecksumCRC32C
	numChecksums
)

var checksumNames = [...]string{ChecksumCRC32: "crc32", ChecksumCRC32C: "crc32c"}

// One name per Checksum: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(checksumNames)-int(numChecksums)]

// String returns "crc32" or "crc32c".
func (c Checksum) String() string { return enum.Name(checksumNames[:], c) }

func (c Checksum) table() *crc32.Table {
	if c == ChecksumCRC32C {
		// MakeTable returns the package's shared Castagnoli table (the one
		// the hardware-accelerated path recognizes); no allocation after
		// the first call.
		return crc32.MakeTable(crc32.Castagnoli)
	}
	return crc32.IEEETable
}

// paddingFor returns how many padding bytes bring n to a multiple of 16.
func paddingFor(n int) int {
	return (blockSize - n%blockSize) % blockSize
}

// growTo returns b with capacity at least n, keeping b[:len(b)].
func growTo(b []byte, n int) []byte {
	if cap(b) >= n {
		return b
	}
	c := 2 * cap(b)
	if c < n {
		c = n
	}
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}
