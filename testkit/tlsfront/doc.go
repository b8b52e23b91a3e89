// Package tlsfront is a local TLS web server standing in for the real site
// of TLS_DOMAIN in domain-fronting tests.
//
// A FakeTLS proxy that cannot authenticate a ClientHello (bad digest, wrong
// SNI, stale timestamp, replay, or no TLS at all) must forward the bytes it
// read to the real site and splice, so that a prober sees that site:
//
//	prober ──ClientHello──► proxy ──same bytes──► tlsfront.Front (as TLS_DOMAIN:443)
//
// [Start] generates a self-signed ECDSA certificate for the domain (also a
// CA, so [Front.CertPool] can serve as RootCAs), serves HTTP/1.1 over TLS
// with a small fixed page ([Front.Body]), and records every connection
// ([Front.Conns]): the SNI it saw, the first bytes it read (the ClientHello
// exactly as relayed), the handshake's outcome and the requests served. A
// test then checks that a probe through the proxy ends with this
// certificate and page, and that the proxy relayed the hello unchanged.
package tlsfront
