// Package load is the load generator behind cmd/mtbench: it drives an MTProto
// proxy with client connections from testkit/client and measures what comes
// back through it from a fake DC (testkit/fakedc) or a fake middle proxy.
//
//	mtbench ──client conns──► proxy under test ──► fakedc / fakemiddle
//	   │                          ▲
//	   └── /proc/<pid> (RSS, CPU) ┘
//
// Workloads:
//
//   - Transfer: Conns connections, started over Ramp, each moving Bytes of a
//     checkable pattern through the proxy: Up (fakedc bulk upload, the DC
//     verifies and reports), Down (bulk download, verified here) or Both
//     (the raw echo of a Raw-mode DC, both ways at once). Needs a Raw DC.
//   - Echo: Conns connections each sending Bytes in packets of Packet bytes,
//     Window packets in flight, every packet echoed by the far end; measures
//     packet round trips. Works through a Packets DC and through middle mode,
//     which parses packets.
//   - Handshakes: Conns workers in a loop of dial + handshake + probe +
//     close, for Duration or Count handshakes; measures the rate and latency.
//   - Idle: open Conns connections (handshake + probe), hold them for Hold,
//     and report the proxy's RSS per connection.
//
// The probe proving a connection reaches the DC is a req_pq_multi/resPQ
// exchange (ProbeReqPQ: a Packets DC or a middle proxy), a 64-byte raw echo
// (ProbeEcho: a Raw DC), or nothing.
//
// Everything is bounded: the target must be on loopback unless AllowRemote,
// and the connection count, bytes and duration have hard ceilings.
package load
