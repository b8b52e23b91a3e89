// Package proxy is the MTProto proxy engine.
//
// The pipeline of one client connection:
//
//	accept ──► limit check ──► handshake ──────────────► upstream ──► relay
//	               │            (obfuscated2, or FakeTLS      │
//	               │             then obfuscated2)            ├─ direct: a DC, re-obfuscated
//	               ▼                   │                      └─ middle: RPC multiplexed (proxy/middle)
//	          rejected                 ▼
//	                        bad secret / replay / stale / not TLS
//	                                   │
//	                                   ▼
//	                   fronting (splice to the real TLS host) or silent drain
//
// The engine has no globals: everything comes through [Options]. It reports
// what happens through the small [Observer] interface and never imports a
// metrics library; it traces with the OpenTelemetry trace API only, and logs
// through a zap logger bound to each connection's scope.
//
// The relay is the hot path: one pooled buffer per direction, taken only while
// bytes are there to move, transformed in place (TLS record stripping,
// decryption, re-encryption), written with blocking writes so a slow reader
// applies backpressure to its sender instead of growing memory.
package proxy
