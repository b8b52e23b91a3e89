// Package fakemiddle is a fake Telegram middle proxy for tests: the server
// side of the RPC protocol an MTProto proxy speaks in middle-proxy mode,
// on loopback.
//
// It is written from the protocol description (docs/protocol.md, section
// 5) independently of proxy/rpc, whose client side it tests: its
// own frame code, CRC32 / CRC32C, AES-256-CBC stream and key derivation. A
// misreading of the spec in one is caught by the other instead of being
// shared.
//
// What it does per connection:
//
//	◄─ RPC_NONCE (plaintext, seq -2)  checks key selector, schema, time
//	─► RPC_NONCE                       derives keys with the addresses IT sees
//	◄─ RPC_HANDSHAKE (AES-CBC, seq -1) a CRC failure here means the client
//	                                   derived other keys (NAT): it closes, as
//	                                   a real middle proxy does
//	─► RPC_HANDSHAKE (CRC32C if offered and enabled) or RPC_HANDSHAKE_ERROR
//	◄─ RPC_PROXY_REQ                   every field checked, violations recorded
//	─► RPC_SIMPLE_ACK                  when the quick-ACK flag was set
//	─► RPC_PROXY_ANS                   resPQ for a req_pq_multi, else an echo
//	                                   (or whatever Options.Handler returns)
//	◄─ RPC_CLOSE_CONN, RPC_PING/PONG   recorded / answered
//
// Behaviours for failure tests are switched with [Server.SetMode] (refuse,
// garbage, close, silence, mute, stall) and methods ([Server.CloseExt],
// [Server.Answer], [Server.SimpleAck], [Server.DropAll], [Server.Ping],
// [Server.Garbage], [Server.Inject] for garbage, bad CRCs, oversize frames
// and stalls mid-frame). ExpectClientIP makes it derive keys
// with another client address, as a middle proxy behind which the proxy's
// public address differs from what the proxy used: the handshake then
// fails exactly as in production.
package fakemiddle
