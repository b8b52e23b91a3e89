// Package tlsprofile records how the site behind FRONTING_ADDR answers a
// TLS 1.3 ClientHello, so that FakeTLS answers its clients the same way.
//
// Where it sits: before any client arrives, and then periodically, the
// [Watcher] probes the fronting host; the engine asks it for the current
// [faketls.ServerProfile] on every FakeTLS handshake and hands it to
// faketls.ServerFlight:
//
//	fronting host ◄── Probe: a Telegram-shaped ClientHello (GREASE, X25519MLKEM768
//	      │                 and x25519 shares, ALPN h2/http1.1, brotli
//	      │                 certificate compression, ECH GREASE)
//	      ▼
//	ServerHello (plaintext: suite, group, extension order), ChangeCipherSpec,
//	encrypted records (sizes, how they arrived) ──► Observation ──► ServerProfile
//	                                                                  │
//	         Watcher.Profile() on every FakeTLS handshake ◄───────────┘
//
// # What a probe observes
//
// The probe sends the ClientHello our clients send (faketls.BuildClientHello,
// the shape of TDLib's), not crypto/tls's: the origin's answer depends on
// the hello (Go's client offers no certificate compression, so an origin
// that compresses its chain would answer a Telegram client with fewer bytes
// than it answers Go), and the flight a censor compares is the origin's
// answer to our clients' hello. The probe cannot finish that handshake (it
// keeps no private keys), and needs not: everything it records is visible on
// the wire. It reads the ServerHello record (parsed: version, suite, group,
// key share size, extensions in order), an optional ChangeCipherSpec, and
// then the encrypted records until the origin goes quiet for Settle (it is
// waiting for our Finished, which never comes), noting each record's type,
// length and the moment its first and last bytes arrived.
//
// The burst it measures is everything the origin sends before the client's
// second flight: EncryptedExtensions, Certificate, CertificateVerify and
// Finished, plus NewSessionTickets for servers that send them early (Go
// does); that is what a passive observer sees too. Where the origin paused
// for at least WriteGap between two records, the profile notes a split in
// its writes; that is a heuristic (a slow link spaces segments of one write
// too) and only the record sizes and their count are exact.
//
// # Fallback
//
// When the origin cannot be probed (unreachable, not TLS 1.3, a
// HelloRetryRequest, an alert) the Watcher serves faketls.FallbackProfile,
// drawn once, and says so to its [Observer]; once a probe has succeeded a
// failed refresh keeps the last recorded profile. The package does not log
// and has no metrics.
package tlsprofile
