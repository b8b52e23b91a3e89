// Package obfuscated2 implements the 64-byte obfuscated2 handshake that opens
// every MTProto proxy connection, on both ends of the proxy.
//
// Toward clients the proxy is the accepting side: [Accept] tries each
// configured 16-byte secret until one decrypts the header's protocol tag,
// and yields the transport, the requested DC and the two AES-256-CTR
// streams of the connection. Toward a Telegram DC (direct mode) the proxy is
// the initiating side: [Generate] with a nil secret builds a fresh header.
// Test clients use [Generate] with a secret, and a fake DC uses [AcceptDC].
//
// Header layout (all offsets in bytes):
//
//	0..7    random
//	8..39   key material
//	40..55  IV
//	56..59  protocol tag (readable only after decryption)
//	60..61  DC id, int16 little-endian, negative for media DCs
//	62..63  random
//
// The initiator->acceptor stream uses key SHA256(hdr[8:40] || secret) and
// IV hdr[40:56]; the acceptor->initiator stream uses the same derivation over
// reverse(hdr[8:56]). Without a secret the key material is the key itself.
// Both are AES-256-CTR with the IV as a 128-bit big-endian counter. The
// whole header is encrypted from counter 0, but only bytes 56..63 are sent
// encrypted; the initiator->acceptor stream continues at byte 64.
//
// The package is pure: no I/O besides the caller's random source, no
// logging, no goroutines.
package obfuscated2
