package rpc

import "errors"

// Frame layer errors. Every frame error leaves the stream desynchronized: the
// reader or writer that returned it keeps returning it, and the connection
// must be closed.
var (
	// ErrFrameTooLarge: a frame's length field exceeds the configured maximum.
	ErrFrameTooLarge = errors.New("rpc: frame too large")
	// ErrFrameLength: a length field that is negative, not a multiple of 4,
	// or between 5 and 11 (no room for seq and crc).
	ErrFrameLength = errors.New("rpc: bad frame length")
	// ErrPayloadAlignment: a payload to send whose length is not a multiple of 4.
	ErrPayloadAlignment = errors.New("rpc: payload length not a multiple of 4")
	// ErrSeqMismatch: a frame's sequence number is not the expected one.
	ErrSeqMismatch = errors.New("rpc: frame sequence number mismatch")
	// ErrChecksum: a frame's CRC does not match its contents.
	ErrChecksum = errors.New("rpc: frame checksum mismatch")
	// ErrKeySize: an AES key that is not 32 bytes or an IV that is not 16.
	ErrKeySize = errors.New("rpc: AES-256-CBC needs a 32-byte key and a 16-byte IV")
	// ErrAlreadyEncrypted: encryption enabled twice on the same direction.
	ErrAlreadyEncrypted = errors.New("rpc: encryption already enabled")
)

// Message errors.
var (
	// ErrMessageSize: a message shorter than its fixed part, or not of the
	// exact size its type requires.
	ErrMessageSize = errors.New("rpc: bad message size")
	// ErrUnexpectedType: a parser for one message met another type.
	ErrUnexpectedType = errors.New("rpc: unexpected message type")
	// ErrUnknownType: ParseServerMessage met a type a middle proxy does not
	// send. The official proxy ignores such messages; so may the caller.
	ErrUnknownType = errors.New("rpc: unknown message type")
)

// Handshake errors.
var (
	// ErrCryptoSchema: the server's nonce does not select AES.
	ErrCryptoSchema = errors.New("rpc: server nonce: crypto schema is not AES")
	// ErrKeySelector: the server's nonce names another proxy secret.
	ErrKeySelector = errors.New("rpc: server nonce: key selector does not match the proxy secret")
	// ErrClockSkew: nonce timestamps more than 30 s apart; middle proxies
	// refuse such peers, so the host clock must be fixed.
	ErrClockSkew = errors.New("rpc: server nonce: clock skew above 30 s")
	// ErrHandshakeFlags: reserved handshake flag bits (0xff) set.
	ErrHandshakeFlags = errors.New("rpc: handshake: reserved flags set")
	// ErrPIDMismatch: the server's handshake does not echo our process id.
	ErrPIDMismatch = errors.New("rpc: handshake: peer process id mismatch")
	// ErrCRC32CNotOffered: the server selected CRC32C although we did not offer it.
	ErrCRC32CNotOffered = errors.New("rpc: handshake: CRC32C selected but not offered")
	// ErrAddress: key derivation got an invalid, unspecified or mixed-family
	// address pair.
	ErrAddress = errors.New("rpc: key derivation: bad address pair")
)

// Proxy secret errors. They never include secret bytes.
var (
	// ErrProxySecretSize: the secret is not 32..256 bytes long.
	ErrProxySecretSize = errors.New("rpc: proxy secret must be 32..256 bytes")
	// ErrProxySecretSelector: the first 4 bytes (the key selector) are zero,
	// which the middle proxy rejects.
	ErrProxySecretSelector = errors.New("rpc: proxy secret key selector is zero")
	// ErrProxySecretText: the secret is printable text, likely an HTML error
	// page or a hex dump rather than the binary getProxySecret file.
	ErrProxySecretText = errors.New("rpc: proxy secret looks like text, not the binary file")
)
