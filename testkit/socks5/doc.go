// Package socks5 is a minimal SOCKS5 server (RFC 1928) that sends every
// CONNECT to one fixed target, whatever address the client asked for.
//
// It exists to benchmark peers fairly: mtg v2.2.8 reaches Telegram DCs only
// through a SOCKS5 upstream, so pointing mtg at this server, and this server
// at a fake DC, makes mtg talk to the same fake DC as our proxy:
//
//	client ──► mtg ──SOCKS5 CONNECT 149.154.167.51:443──► socks5.Server ──► fake DC
//
// Only what that needs is implemented: the "no authentication" method,
// the CONNECT command, and IPv4, IPv6 and domain-name addresses. Other
// methods get 0xFF (no acceptable method), other commands reply 0x07, other
// address types 0x08, and a target that refuses gets 0x05. Every request is
// recorded ([Server.Requests]) with the address the client asked for, so a
// test can check which DC a proxy meant to reach.
//
// After the reply the two TCP connections are spliced with io.Copy, which
// uses splice(2) between TCP sockets on Linux; each direction's end of
// stream is passed on as a half-close.
package socks5
