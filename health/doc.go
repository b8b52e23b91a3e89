// Package health gathers the proxy's monitors of the world around it: they
// are not the engine (proxy/...) and the engine does not depend on them.
//
//   - [github.com/mtproxy/mtproxy/health/dcprobe] asks every DC (or middle
//     proxy) address, periodically, for an answer at the protocol level:
//     an MTProto req_pq_multi in direct mode, the RPC handshake in middle
//     mode. A TCP connect alone proves nothing on a network that accepts
//     every connection.
//   - [github.com/mtproxy/mtproxy/health/clockskew] estimates this host's
//     clock offset (SNTP and HTTP Date headers).
//   - [github.com/mtproxy/mtproxy/health/netinfo] finds the internal and
//     external addresses and the NAT state.
//
// Each reports through a small Observer interface; metrics/ implements
// them, and the doctor (cmd/mtproxy/internal/doctor) runs the same code
// once, in the foreground.
package health
