// Package rpc implements the wire protocol between an MTProto proxy and
// Telegram's middle proxies ("middle-end", ME), used when an advertising tag
// is configured.
//
// Its place in the pipeline: a client's obfuscated2 stream is decrypted and
// split into MTProto packets; each packet is wrapped in an RPC_PROXY_REQ and
// sent over one of a few long-lived, multiplexed TCP connections to a middle
// proxy of the client's DC. Answers come back as RPC_PROXY_ANS,
// RPC_SIMPLE_ACK or RPC_CLOSE_EXT, addressed by connection id. The pool that
// owns those connections lives elsewhere; this package only encodes, decodes,
// frames and encrypts. It is pure: no goroutines, no logging, no I/O beyond
// the io.Reader / io.Writer it is handed.
//
// A connection, from the proxy's side (the RPC "client"):
//
//	frame seq -2, plaintext   ─► RPC_NONCE  (key selector, schema AES, time, nonce)
//	frame seq -2, plaintext   ◄─ RPC_NONCE  (the server's nonce)
//	                              DeriveClientKeys; EnableEncryption / EnableDecryption
//	frame seq -1, AES-256-CBC ─► RPC_HANDSHAKE (flags 0x800 offers CRC32C)
//	frame seq -1, AES-256-CBC ◄─ RPC_HANDSHAKE (or RPC_HANDSHAKE_ERROR)
//	                              VerifyServerHandshake; SetChecksum both ways
//	frame seq 0, 1, 2, ...    ─► RPC_PROXY_REQ, RPC_CLOSE_CONN, RPC_PONG
//	frame seq 0, 1, 2, ...    ◄─ RPC_PROXY_ANS, RPC_SIMPLE_ACK, RPC_CLOSE_EXT, RPC_PING
//
// Frames are "i32 len | i32 seq | payload | u32 crc" (see [FrameReader] and
// [FrameWriter]); the CBC state runs continuously across frames, and the
// writer pads each flush to 16 bytes with 4-byte padding frames (04 00 00 00).
//
// Facts were checked against the official C implementation
// (TelegramMessenger/MTProxy: net/net-tcp-rpc-common.c, net/net-tcp-rpc-client.c,
// net/net-tcp-rpc-server.c, net/net-crypto-aes.c, mtproto/mtproto-proxy.c) and two
// independent peers (alexbers/mtprotoproxy, seriyps/mtproto_proxy); each file
// names its sources.
package rpc
