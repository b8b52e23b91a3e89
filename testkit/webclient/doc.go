// Package webclient is a test client of the WEB proxy carrier: it plays
// the Telegram app and its bridge page over the relay's HTTP API, the way
// the page does, so tests can drive real obfuscated2 client connections
// through it.
//
//	client.Over ──net.Conn──► Stream ─frames─► Mux ─Transport─► relay (proxy/webproxy)
//
// [Connect] derives the capability of a secret, fetches the bridge page,
// extracts its bootstrap="..." token, creates the session with HELLO and
// checks the WELCOME, then carries the session's frames in the mode the
// relay chose: [HTTPS] (the up sequence and the down long poll, with
// retries and replays as the page does them) or [WebSocket]. A [Mux] over
// any [Transport] opens streams ([Mux.Open]) that are net.Conns honouring
// the 4 MiB windows both ways, so testkit/client's handshake runs on them
// unchanged; other transports (a browser's page driven over DevTools)
// plug into the same Mux.
package webclient
