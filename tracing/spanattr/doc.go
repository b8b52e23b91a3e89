// Package spanattr builds the OpenTelemetry semantic-convention attributes
// of the proxy's spans: the client connection span (the proxy as a TCP
// server) and the upstream dials towards Telegram (the proxy as a client).
//
// It depends only on the OpenTelemetry attribute and semconv packages, never
// on the SDK, so the proxy engine can use it while staying SDK-free; the SDK
// is set up by the parent package tracing, in the binary only.
//
// Addresses are written the way semconv wants them: the IP without port or
// brackets (IPv4-mapped IPv6 unmapped to IPv4), the port as an int, and
// network.type "ipv4" or "ipv6". An address that is not an IP:port (a Unix
// socket, a test double) is recorded as its string, without port or type.
package spanattr
