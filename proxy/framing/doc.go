// Package framing encodes and decodes the MTProto transport framing that
// runs inside a (decrypted) obfuscated2 stream: abridged, intermediate and
// padded intermediate.
//
// The proxy only needs it where packets are parsed rather than relayed
// byte for byte: middle-proxy mode (each client packet becomes one RPC
// toward the middle-end), the test clients and the fake DC. Direct mode
// relays the stream without framing.
//
// Wire formats (all little-endian):
//
//	abridged      1 byte len/4 when below 0x7f, else 0x7f and 3 bytes len/4;
//	              the 0x80 bit of the first byte requests a quick ACK
//	intermediate  u32 length; bit 31 requests a quick ACK
//	padded        as intermediate, the length also counts random tail bytes
//
// Quick-ACK replies (server to client) are bare 4-byte tokens with bit 31
// set, sent little-endian, or big-endian for abridged.
//
// [Reader] and [Writer] work on one stream each; [ParseHeader] and
// [AppendHeader] serve callers that frame themselves. The package is pure:
// no logging, no goroutines, no I/O beyond the streams it is given.
package framing
