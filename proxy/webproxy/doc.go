// Package webproxy is the WEB proxy carrier: Telegram's answer to censors
// that block the client's own TLS fingerprint. Telegram Desktop 7.1+ (and
// partly Android; iOS in https mode only) opens a hidden WebView on the
// proxy's HTTPS origin; the page there carries MTProxy streams over
// same-origin HTTPS long polls or a WebSocket, so the censor sees the
// platform browser's TLS, terminated by the operator's own TLS server.
//
//	app ─frames─► WebView page ─HTTPS/WebSocket─► TLS terminator ─HTTP─► Carrier
//	                                                                       │
//	  one stream per MTProxy connection: obfuscated2 bytes ──► proxy.ServeCarried ──► DC / middle proxy
//
// A [Carrier] is the http.Handler of the whole virtual host. It tells the
// bridge requests apart from everything else (see ServeHTTP): an exact
// GET / (or /base/) with an authentic capability gets the bridge page, the
// session API serves the tokens it issued, a request carrying an
// authentic capability or token any other way gets a local 404, and the
// rest goes to the operator's public site ([ProxySite], [DirSite], or an
// empty 404). Capabilities of every secret in both forms are matched in
// constant time (package wire derives them).
//
// The page (assets/bridge.html, one inline script under a CSP nonce)
// talks to the app through the injected TelegramWebProxy object and to
// the relay through the session API:
//
//	POST {base}api/v1/session  Bearer <bootstrap>, body HELLO → WELCOME, X-Session-Token
//	POST {base}api/v1/up       X-Up-Seq n, body frames → 204 X-Up-Ack n        (https)
//	POST {base}api/v1/down     X-Down-Cursor c → 200 frames + new cursor, or 204 (https)
//	GET  {base}api/v1/ws       Sec-WebSocket-Protocol tproxy-v1.<session>      (websocket)
//	DELETE {base}api/v1/session
//
// Each OPEN becomes a stream: an in-process net.Conn handed to the
// [Engine] (a *proxy.Proxy) with the real client address and the secret
// of the session's capability, so the client port's handshake, limits,
// upstreams, metrics and logs apply unchanged. A stream's DATA is the
// client's obfuscated2 byte stream; WINDOW frames give each direction 4
// MiB of credit, granted back as the engine reads (up) and as the client
// reads (down).
//
// Everything a client can make the relay hold is bounded ([Options]):
// sessions, streams per session and in all, bytes pending per session and
// in all (an up body that does not fit is refused whole with 503; a
// WebSocket stops being read; the engine's writes wait), bootstrap tokens,
// tombstones, body sizes, and time (bootstrap, long poll, idle, ping).
// The carrier never logs a URI, an Authorization or a WebSocket protocol
// header, and client addresses only at debug level.
package webproxy
