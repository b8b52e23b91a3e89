// Package faketls implements the FakeTLS disguise of MTProto proxy
// connections ("ee" secrets): the client wraps its obfuscated2 stream in
// something that looks like TLS 1.3 to a passive observer.
//
// Its part in the pipeline of one client connection:
//
//	first bytes ──► LooksLikeHello ──► ReadClientHello ──► ParseClientHello
//	                                        │ raw bytes          │ SNI, session id, suites, key shares
//	                                        ▼                    ▼
//	                                   (fronting)      Verify ──► CheckTimestamp ──► replay check (caller)
//	                                                      │
//	                                                      ▼
//	           ServerProfile ──► ServerFlight ──► write ──► relay: Unwrapper strips 17 03 03
//	                                                              records in place; the writer
//	                                                              frames with PutRecordHeader
//
// # Handshake
//
// The client's ClientHello is an ordinary TLS record 16 03 01 <len> whose
// 32-byte client_random (record bytes 11..43) carries
// HMAC-SHA256(secret, record with client_random zeroed): bytes 0..28 of the MAC
// verbatim, bytes 28..32 XORed with the little-endian unix time of the client.
// The proxy tries every configured secret ([Verify]) and checks the time
// ([CheckTimestamp]). It answers with a flight ([ServerFlight]) of
// ServerHello, ChangeCipherSpec and one ApplicationData record of random
// bytes, its server_random being HMAC-SHA256(secret, client_random || flight
// with server_random zeroed). Telegram clients (TDLib's TlsInit, tdesktop)
// read exactly one handshake record, the ChangeCipherSpec and one
// application-data record and check the HMAC over them; a further record
// would be taken for relayed data. Within that layout the flight is shaped
// by a [ServerProfile] recorded from the fronting site (the tlsprofile
// package): its ServerHello extensions in order, its cipher suite and
// group (X25519MLKEM768 with a 1120-byte share when the client offers it),
// one record as large as the site's encrypted records together, with a
// little noise, written in the site's pieces ([Flight.WriteTo]).
// [FallbackProfile] stands in until the site is recorded.
//
// An unknown server name may be refused as servers do with [AppendAlert];
// [ReadPayload] reads the client's first records after the flight exactly.
//
// Modern clients (TDLib 1.8.6x, Telegram Desktop 6.3+, mtcute) send
// ClientHellos of about 1.8 KB with GREASE, an X25519MLKEM768 key share and an
// ECH GREASE extension; [ReadClientHello] accepts handshake messages up to
// [MaxHelloSize], also when fragmented over several handshake records (DPI
// evasion tools split hellos that way). A fragmented hello is verified over the
// message re-framed as ONE record: the first record's 3 header bytes
// (16 03 01), the 2-byte length of the whole handshake message, then the
// message. That is what a client computing the MAC before fragmenting covers
// and what 9seconds/mtg does.
//
// # Relay
//
// After the handshake both directions are 17 03 03 application-data records.
// The relay hot path strips them in place with an [Unwrapper] (zero
// allocations, any split of the input) and frames its output with
// [PutRecordHeader]; so does the middle-proxy path, which reads and writes
// the client's plaintext through the engine's proxy.ClientConn. [Conn] wraps
// a net.Conn for test clients and load generators only.
//
// # Fingerprint
//
// [ComputeJA4] fingerprints any ClientHello, authenticated or not, with
// FoxIO's JA4 ("t13d1516h2_8daaf6152771_e5627efa2ab1"): which TLS library
// built it, so an operator sees which clients reach the proxy, and a block
// aimed at one client build shows up as that fingerprint failing.
//
// The client side ([BuildClientHello], [ReadServerFlight],
// [VerifyServerFlight]) exists for the test kit and the load generator.
//
// The package is pure: no logging, no goroutines, no I/O other than through
// the readers and connections it is given. Secrets never appear in errors.
package faketls
