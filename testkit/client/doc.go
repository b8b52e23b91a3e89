// Package client is a test client that speaks every client mode of an
// MTProto proxy, for end-to-end tests, benchmarks and the load generator.
//
//	client ──(FakeTLS records)──obfuscated2 (secret)──framing──► proxy ──► DC
//
// [Dial] does the whole handshake of a [Mode]:
//
//   - Abridged, Intermediate, Padded: a 64-byte obfuscated2 header made with
//     the secret (tags ef, ee, dd), then the transport's packets inside the
//     AES-CTR stream. Padded is what "dd" secrets select.
//   - FakeTLS ("ee" secrets): a ClientHello shaped like a modern Telegram
//     client's (about 1.8 KB, GREASE, X25519MLKEM768, ECH GREASE) carrying
//     the secret's HMAC and a timestamp; the server flight is read and its
//     HMAC checked as TDLib does; then ChangeCipherSpec and the obfuscated2
//     header (tag dd) in the first application-data record, and everything
//     after in application-data records.
//
// [Over] does the same handshake on a connection that already exists (a
// stream carried by the WEB proxy, a pipe).
//
// A [Conn] sends and receives packets ([Conn.WritePacket],
// [Conn.ReadPacket], which reports quick-ACK tokens apart from packets),
// proves both directions with [Conn.ReqPQ] against a fake DC, or exposes the
// plaintext byte stream for bulk transfers ([Conn.Raw]).
//
// Attacks on the proxy need the handshake's raw bytes and deliberately wrong
// handshakes: [NewHandshake] builds one without a network, [Conn.Handshake]
// returns the one a connection used (to replay its hello or header),
// Options.Record keeps every byte a connection wrote, and [Probe] sends
// arbitrary bytes and collects the answer. A wrong SNI, a stale timestamp,
// a wrong secret or a tag that does not fit the mode are plain Options.
package client
