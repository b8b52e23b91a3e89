// Package proxy is the MTProto proxy engine.
//
// The pipeline of one client connection:
//
//	accept ──► unauthenticated (own limits: the ──► handshake ──► MaxConnections ──► Upstream.Serve
//	           oldest is evicted, see proxy/unauth)  (obfuscated2,        │               ├─ proxy/direct
//	                                                  or FakeTLS then     ▼               └─ proxy/middle
//	                                                  obfuscated2)     closed
//	                                                      │
//	                                                      ▼ anything else, as soon as it shows,
//	                                                        or unfinished at the timeout
//	              unknown SNI dropped or refused (UnknownSNI), else fronting: the bytes received
//	              replayed to the real site and spliced (bounded; loops dropped), or a silent drain
//
// Everything that is not an authenticated client gets the real site, with
// the bytes it sent and promptly, so that a prober cannot tell the proxy
// from the site by its answers or its timing; FakeTLS answers follow the
// site's recorded TLS profile ([Options.TLSProfile]).
//
// Each connection is tracked through the client funnel ([Stage]): accepted,
// first_byte, handshake_read, authenticated, upstream_connected (the
// upstream calls [Session.UpstreamConnected]), upstream_answered (the first
// write of Telegram's bytes to the client) and established
// ([EstablishedBytes] written); the Observer hears each stage once and the
// close names the furthest, where the connection stalled. A direct dial is
// reported OK only once the DC has sent its first byte back.
//
// The engine has no globals: everything comes through [Options]. It reports
// what happens through the small [Observer] interface and never imports a
// metrics library; it traces with the OpenTelemetry trace API only, and logs
// through a zap logger bound to each connection's scope.
//
// The upstream boundary. The engine authenticates clients; an [Upstream]
// carries them to Telegram. Upstreams live in their own packages, peers of
// each other: proxy/direct (a connection per client to its DC) and
// proxy/middle (RPCs over a few connections to the middle proxies). They
// see a client through [Session] and its [*ClientConn], whose exported
// methods are the whole contract:
//
//   - [ClientConn.RelayTo] is the zero-copy path for an upstream that ends
//     in a byte stream (direct mode): the client's stream is relayed to a
//     net.Conn through the given cipher streams, until both ends close.
//   - Read, Write, Close, SetReadDeadline, SetWriteDeadline and CloseWrite
//     give the client's plaintext MTProto stream to an upstream that frames
//     it itself (middle mode), and Activity tells its idle watchdog whether
//     the client moved.
//
// The engine cannot import its upstreams (they import it), so it has no
// default one: [Options.Upstream] is required, and the caller (cmd/mtproxy,
// a test) builds a proxy/direct or proxy/middle upstream and hands it over.
//
// The relay is the hot path: one pooled buffer per direction, taken only while
// bytes are there to move, transformed in place (TLS record stripping,
// decryption, re-encryption), written with blocking writes so a slow reader
// applies backpressure to its sender instead of growing memory.
//
// Users. With [Options.Users] (package users implements it) the keys come
// from a live snapshot instead of Options.Secrets: the handshake tries the
// key the snapshot names for the client's address first (a returning
// client), then all of them, and asks Users.Admit once one authenticates;
// a refusal is [HandshakeUserRefused], fronted like a bad secret. An
// admitted client's [Lease] is told every read and write (no allocation),
// may ask for a pause before the next transfer (a rate limit, waited with
// no buffer held), may end the connection (a quota), and closes it when the
// user is revoked; the upstream reads the user's ad tag from
// [Session.AdTag].
package proxy
