// Package direct is the direct-mode upstream: each authenticated client
// gets its own TCP connection to the Telegram DC it asked for, opened with
// a fresh obfuscated2 header carrying no secret, and the client's MTProto
// bytes pass through re-encrypted. It is the peer of proxy/middle, the
// middle-proxy upstream; both implement [proxy.Upstream].
//
// Its place in the pipeline:
//
//	client ─► engine (proxy: accept, handshake) ─► Direct.Serve
//	                                                   │ dc.Table: the DC's addresses
//	                                                   │ dc.Dialer: one address after the other
//	                                                   ▼
//	                                   obfuscated2 header to the DC
//	                                                   │
//	                                                   ▼
//	            ClientConn.RelayTo: client ◄──► DC, one pooled buffer per direction
//
// The relay itself is the engine's ([proxy.ClientConn.RelayTo]): the bytes
// are decrypted, re-encrypted and written in the buffer they were read
// into. Every dial attempt is reported to the [Observer] with a result from
// dc's closed set, and traced as a client span "mtproxy.upstream.dial"
// (OpenTelemetry trace API only); the package imports no metrics library.
package direct
