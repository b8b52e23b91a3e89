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
// exactly as relayed) and wrote (its server flight, record by record), the
// handshake's outcome and the requests served. A test then checks that a
// probe through the proxy ends with this certificate and page, and that the
// proxy relayed the hello unchanged.
//
// A connection whose first byte is no TLS record is answered as nginx
// answers plain HTTP on its TLS port: 400 "The plain HTTP request was sent
// to HTTPS port", as soon as the request head is in (or the first line, when
// it is no HTTP request line), then closed. That prompt answer is what a
// prober compares a proxy against.
package tlsfront
