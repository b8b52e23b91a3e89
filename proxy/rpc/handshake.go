package rpc

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// CryptoSchemaAES is the RPC_NONCE crypto schema for AES-256-CBC with keys
// from the proxy secret (RPC_CRYPTO_AES in net/net-tcp-rpc-common.h). The
// other schemas (0 none, 2 extra keys, 3 DH) are not used by MTProxy.
const CryptoSchemaAES = 1

// HandshakeFlagCRC32C in RPC_HANDSHAKE flags offers (client) or selects
// (server) CRC32C frame checksums (RPCF_USE_CRC32C). The official proxy
// always offers it (engine_startup in engine/engine.c).
const HandshakeFlagCRC32C = 0x800

// Message sizes, type included.
const (
	NonceSize          = 32
	HandshakeSize      = 32
	HandshakeErrorSize = 20
	processIDSize      = 12
)

// Nonce is the RPC_NONCE message, the first frame (seq -2, plaintext) each
// way: type | key_select u32 | crypto_schema u32 | crypto_ts u32 | nonce[16]
// (struct tcp_rpc_nonce_packet).
type Nonce struct {
	KeySelector uint32   // ProxySecret.KeySelector
	Schema      uint32   // CryptoSchemaAES
	Time        uint32   // unix seconds
	Nonce       [16]byte // random
}

// AppendNonce appends the RPC_NONCE message n to dst.
func AppendNonce(dst []byte, n Nonce) []byte {
	dst = appendU32(dst, uint32(TypeNonce))
	dst = appendU32(dst, n.KeySelector)
	dst = appendU32(dst, n.Schema)
	dst = appendU32(dst, n.Time)
	return append(dst, n.Nonce[:]...)
}

// ParseNonce decodes an RPC_NONCE message of exactly NonceSize bytes (the
// size of the AES schema the official client requires).
func ParseNonce(b []byte) (Nonce, error) {
	if err := expect(b, TypeNonce, NonceSize, false); err != nil {
		return Nonce{}, err
	}
	n := Nonce{KeySelector: u32(b[4:]), Schema: u32(b[8:]), Time: u32(b[12:])}
	copy(n.Nonce[:], b[16:])
	return n, nil
}

// VerifyServerNonce applies the official client's checks to the server's
// RPC_NONCE (tcp_rpcc_process_nonce_packet): AES schema, our key selector,
// and a timestamp within 30 s of the one we sent.
func VerifyServerNonce(srv Nonce, keySelector, clientTime uint32) error {
	if srv.Schema != CryptoSchemaAES {
		return fmt.Errorf("%w: schema %d", ErrCryptoSchema, srv.Schema)
	}
	if srv.KeySelector != keySelector {
		return ErrKeySelector
	}
	if d := int64(srv.Time) - int64(clientTime); d > 30 || d < -30 {
		return fmt.Errorf("%w: %d s", ErrClockSkew, d)
	}
	return nil
}

// ProcessID is struct process_id (common/pid.h): ip u32 | port u16 |
// pid u16 | utime i32, 12 bytes, each field little-endian. IP is the IPv4
// address as a number (127.0.0.1 is 0x7f000001), so its octets appear
// reversed on the wire. A fork widened pid to 32 bits; that changes the wire
// size and is not what middle proxies speak.
type ProcessID struct {
	IP    uint32
	Port  uint16
	PID   uint16
	Utime int32
}

// NewProcessID builds a ProcessID the way the official client does
// (init_client_PID, tcp_rpcc_send_handshake_packet): the IPv4 address as a
// number, 0 for loopback or IPv6; the pid truncated to 16 bits (the official
// proxy asserts when it is larger); utime in unix seconds, 0 for the zero time.
func NewProcessID(addr netip.AddrPort, pid int, utime time.Time) ProcessID {
	p := ProcessID{Port: addr.Port(), PID: uint16(pid)}
	if a := addr.Addr().Unmap(); a.Is4() && !a.IsLoopback() {
		b := a.As4()
		p.IP = binary.BigEndian.Uint32(b[:])
	}
	if !utime.IsZero() {
		p.Utime = int32(utime.Unix())
	}
	return p
}

func appendPID(dst []byte, p ProcessID) []byte {
	dst = appendU32(dst, p.IP)
	dst = binary.LittleEndian.AppendUint16(dst, p.Port)
	dst = binary.LittleEndian.AppendUint16(dst, p.PID)
	return appendU32(dst, uint32(p.Utime))
}

func parsePID(b []byte) ProcessID {
	return ProcessID{
		IP:    u32(b),
		Port:  binary.LittleEndian.Uint16(b[4:]),
		PID:   binary.LittleEndian.Uint16(b[6:]),
		Utime: int32(u32(b[8:])),
	}
}

// Matches reports whether p matches pattern, where zero fields of pattern
// are wildcards (matches_pid in common/pid.c).
func (p ProcessID) Matches(pattern ProcessID) bool {
	return (pattern.IP == 0 || p.IP == pattern.IP) &&
		(pattern.Port == 0 || p.Port == pattern.Port) &&
		(pattern.PID == 0 || p.PID == pattern.PID) &&
		(pattern.Utime == 0 || p.Utime == pattern.Utime)
}

// Handshake is RPC_HANDSHAKE, the first encrypted frame (seq -1) each way:
// type | flags u32 | sender_pid | peer_pid (struct tcp_rpc_handshake_packet).
// The client sends its own id and the server's address as peer; the server
// answers with its id and echoes the client's as peer.
type Handshake struct {
	Flags  uint32
	Sender ProcessID
	Peer   ProcessID
}

// AppendHandshake appends the RPC_HANDSHAKE message h to dst.
func AppendHandshake(dst []byte, h Handshake) []byte {
	dst = appendU32(dst, uint32(TypeHandshake))
	dst = appendU32(dst, h.Flags)
	dst = appendPID(dst, h.Sender)
	return appendPID(dst, h.Peer)
}

// ParseHandshake decodes an RPC_HANDSHAKE of exactly HandshakeSize bytes.
// If the server sent RPC_HANDSHAKE_ERROR instead, the error is a
// *HandshakeError carrying its code.
func ParseHandshake(b []byte) (Handshake, error) {
	if t, err := PeekType(b); err == nil && t == TypeHandshakeError {
		he, err := ParseHandshakeError(b)
		if err != nil {
			return Handshake{}, err
		}
		return Handshake{}, he
	}
	if err := expect(b, TypeHandshake, HandshakeSize, false); err != nil {
		return Handshake{}, err
	}
	return Handshake{Flags: u32(b[4:]), Sender: parsePID(b[8:]), Peer: parsePID(b[20:])}, nil
}

// VerifyServerHandshake applies the official client's checks to the server's
// handshake (tcp_rpcc_process_handshake_packet) given the one we sent: no
// reserved flag bits, our process id echoed as peer, and CRC32C only if we
// offered it. It returns the checksum both directions use from now on.
func VerifyServerHandshake(srv, sent Handshake) (Checksum, error) {
	if srv.Flags&0xff != 0 {
		return 0, fmt.Errorf("%w: 0x%x", ErrHandshakeFlags, srv.Flags)
	}
	if !sent.Sender.Matches(srv.Peer) {
		return 0, ErrPIDMismatch
	}
	if srv.Flags&HandshakeFlagCRC32C == 0 {
		return ChecksumCRC32, nil
	}
	if sent.Flags&HandshakeFlagCRC32C == 0 {
		return 0, ErrCRC32CNotOffered
	}
	return ChecksumCRC32C, nil
}

// HandshakeError is RPC_HANDSHAKE_ERROR: type | error_code i32 | sender_pid
// (struct tcp_rpc_handshake_error_packet). It is also an error value.
type HandshakeError struct {
	Code   int32
	Sender ProcessID
}

// Error describes the refusal.
func (e *HandshakeError) Error() string {
	return fmt.Sprintf("rpc: middle proxy refused the handshake (code %d)", e.Code)
}

// ParseHandshakeError decodes an RPC_HANDSHAKE_ERROR of exactly
// HandshakeErrorSize bytes.
func ParseHandshakeError(b []byte) (*HandshakeError, error) {
	if err := expect(b, TypeHandshakeError, HandshakeErrorSize, false); err != nil {
		return nil, err
	}
	return &HandshakeError{Code: int32(u32(b[4:])), Sender: parsePID(b[8:])}, nil
}
