// Package proxyheader speaks the PROXY protocol (v1 and v2, HAProxy's) at
// both ends of the proxy:
//
//	load balancer ──PROXY header──► Listen (trusted sources only) ──► engine: limits and
//	                                                                  per-IP caps see the client
//	engine fronts a failed handshake ──► Write (optional) ──► fronting host sees the prober
//
// [Listen] wraps the client listener: a connection from a trusted network
// (PROXY_PROTOCOL_TRUSTED) must open with a PROXY header, as the protocol's
// specification demands of a receiver ("MUST not try to guess"), and its
// RemoteAddr is then the address in the header; any other connection is
// served as it is, unwrapped, so that a PROXY header from an untrusted
// source is just bytes of a failed handshake. The header is parsed by
// github.com/pires/go-proxyproto, the maintained implementation the Go
// ecosystem uses (Traefik, Caddy's module, Gitea).
//
// [Write] sends a header before the replayed bytes of a fronted connection,
// for a fronting host behind its own PROXY-aware listener
// (FRONTING_PROXY_PROTOCOL), so its logs and limits see the prober rather
// than this proxy.
//
// The package does not log and has no metrics.
package proxyheader
