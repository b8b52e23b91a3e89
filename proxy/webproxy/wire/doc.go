// Package wire is the protocol of Telegram's WEB proxy carrier, without I/O:
// the frame codec the bridge page and the relay exchange, and the
// capability (the secret-derived URL parameter that selects the bridge
// page), its links and the host and base path rules.
//
//	app ──frames──► bridge page (WebView) ──HTTPS / WebSocket──► relay ──► obfuscated2 engine
//
// The relay side lives in package webproxy; this package is what both ends
// agree on, written from the protocol facts alone (the reference relay has
// no licence).
//
// # Frames
//
// Big-endian: type u8 | stream u24 | len u32 | payload. [Parse] reads one
// frame and checks everything a frame can get wrong on its own: a known
// type, sent by the side allowed to send it ([FromClient], [FromRelay]), a
// stream id that is zero for session frames and non-zero for stream
// frames, the payload each type must carry, and [MaxPayload]. [CheckBatch]
// validates a whole carrier body (at most [MaxBatchFrames] frames and
// [MaxBatchBytes] bytes, no partial frame) before anything of it is
// applied. [AppendFrame] encodes.
//
// # Capability
//
// [Capability] is base64url(HMAC-SHA256(secret, label + host [+ "\n" +
// base path])) with the secret's dd byte included when the dd form is
// meant, so plain and dd secrets select different capabilities. [Links]
// builds the tg://webproxy and https://t.me/webproxy links of one secret.
//
// The package is pure: no logging, no metrics, no goroutines; its errors
// are the sentinels below, wrapped with detail.
package wire
