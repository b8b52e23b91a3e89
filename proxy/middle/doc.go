// Package middle is the middle-proxy upstream: the mode Telegram requires
// for the advertising tag. Instead of one connection per client to a DC,
// client packets travel as RPCs over a few long-lived, encrypted,
// multiplexed connections to Telegram's middle proxies.
//
// Its place in the pipeline:
//
//	client ─► engine (handshake) ─► Middle.Serve ─► framing.Reader: one packet
//	                                     │              │
//	                                     │              ▼ RPC_PROXY_REQ (conn id, addresses, ad tag)
//	                                     │        pool: target (middle proxy address) ─► rpcConn (AES-CBC frames)
//	                                     │              ▲ RPC_PROXY_ANS / SIMPLE_ACK / CLOSE_EXT by conn id
//	                                     ▼              │
//	client ◄─ framing.Writer ◄─ writer goroutine ◄─ bounded queue ◄─ rpcConn reader
//
// The client's side is the engine's proxy.ClientConn (Session.Client): its
// Read returns the plaintext MTProto stream (FakeTLS records stripped,
// obfuscated2 decrypted) and its Write encrypts and frames records, so the
// framing.Reader and the writer goroutine see plain packets whatever the
// client spoke.
//
// Telegram's files. The proxy secret (getProxySecret) keys the RPC
// connections; the config (getProxyConfig) lists the middle proxies of each
// DC. Both are fetched at [Middle.Start], cached on disk with an atomic
// write, and read back from the cache when the download fails; with
// neither, Start fails with a *[StartError]. [Middle.StartBackground]
// (MODE=auto, which serves clients directly meanwhile) does not fail
// there: it keeps trying with backoff and starts the pool once both files
// are in; [Middle.Running] and [Middle.DCReady] tell the caller when a DC
// can be served through the middle proxies. They are refreshed in the
// background every RefreshInterval (with jitter) and on [Middle.Refresh]
// (SIGHUP). A new config must parse and pass tgconfig's Validate against
// the one in use, or it is rejected and counted while the old one stays.
// A swap never drops a client: targets new in the config start connecting,
// targets gone from it are retired (no new clients; each RPC connection
// closes when its last client leaves), the others keep their connections.
//
// The pool. Each target (a middle proxy address; one may serve several
// DCs) keeps between MinConnections and MaxConnections RPC connections,
// growing when every connection carries ConnClients clients, and reconnects
// with exponential backoff and jitter. A connection is established with
// RPC_NONCE, the key derivation (with our public address, see below) and
// RPC_HANDSHAKE, within HandshakeTimeout; CRC32C is offered and used when
// the middle proxy agrees. RPC_PING is answered with RPC_PONG; a connection
// from which nothing was read for PingInterval gets our own RPC_PING, and
// one silent for PingTimeout is closed. Every attempt and every close is
// reported to the [Observer] with a result from a closed set.
//
// Multiplexing. A client is bound to one ready connection of its DC (the
// config's default DC for a DC the config does not list) at its first
// packet, the least loaded one, and stays on it: if that connection dies,
// the client is closed, as the official proxy does. When the DC has no ready
// connection the packet is counted as dropped and the client is closed,
// after waiting at most ReadyWait if a connection is being established (a
// burst of clients right after start would otherwise all be refused).
//
// Backpressure. The RPC reader never blocks on a client: an answer is
// copied into a pooled buffer and appended to the client's queue, bounded
// in bytes (ClientQueueBytes; a single packet larger than the bound is
// accepted into an empty queue). A writer goroutine of the client's drains
// the queue into its socket; it is started by the push that finds none
// running and ends when the queue is empty, so an idle client is one
// goroutine (its reader) and no writer. When a queue would overflow, the client is
// too slow to keep up: the answer is counted as dropped, the client is
// closed and the middle proxy is told with RPC_CLOSE_CONN, as the official
// proxy drops such clients; the other clients of the connection are not
// delayed. An answer or ACK for a connection id no longer bound is dropped
// and answered with RPC_CLOSE_CONN, queued without blocking the reader.
//
// Memory. A client's packet is read into a pooled buffer that grows with
// the bytes that arrive (a header announcing a megabyte costs a kilobyte
// until the megabyte comes), and goes back to the pool between packets.
// All clients' packet buffers and queued answers together are bounded by
// MemoryBudget: above it the slow are shed first (a client behind on its
// answers, or the one that has held a grown buffer longest), counted in
// Stats.BudgetShed. Writes to a connection from many clients are serialized under
// one lock and bounded by WriteTimeout, after which the connection is
// closed: a stuck middle proxy cannot hold clients forever. Packets are
// encoded straight into the frame writer's buffer; nothing is allocated
// per packet in steady state.
//
// NAT. The middle proxy mixes the address it sees into the keys. Our side
// of the derivation uses the local port of the TCP connection and, for the
// IP: the NAT mapping for the local IP when there is one (--nat-info), the
// local IP when it is publicly routable, else ExternalIP. The same
// translation gives the proxy address in RPC_PROXY_REQ. A wrong address
// shows up as HandshakeClosedAfterNonce or HandshakeBadCrypto and is logged
// with a hint about IP / --nat-info.
//
// Observability follows the engine's pattern: per-packet counters are
// atomics read through [Middle.Stats]; boundary events go to an
// [Observer]; spans ("mtproxy.middle.handshake" per connection attempt,
// "mtproxy.config.refresh" per refresh) use the OpenTelemetry trace API
// only. The package imports no metrics library.
package middle
