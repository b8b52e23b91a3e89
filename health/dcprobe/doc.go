// Package dcprobe tells whether Telegram really answers, DC by DC.
//
// A [Prober] runs one exchange with every address of every target per
// round (a DC in direct mode, a middle proxy in middle mode), one round per
// Interval with jitter, and keeps each target's [Health]: up when at least
// one address answered at the protocol level, with the fastest connect and
// round-trip times, or down with the outcome that explains it.
//
// The exchange is a [Method]:
//
//   - [MTProto] (direct mode) opens an obfuscated2 connection (intermediate
//     framing, no secret, the DC id in the header, as the proxy's own
//     dials), sends an unencrypted req_pq_multi with a fresh nonce and
//     waits for a resPQ carrying that nonce;
//   - [RPC] (middle mode) runs the middle-proxy RPC handshake
//     (proxy/middle's one implementation, with the proxy's secret and
//     addresses) and is up when it completes.
//
// Every [Outcome] falls into the closed set of dc.Result: ok, refused,
// timeout (no TCP connection), reset (closed before any answer),
// no_answer (connected, nothing came back in time), not_mtproto (bytes
// came back that are not the answer: HTTP, TLS, our own bytes echoed,
// garbage; [Answer] says which), unreachable, error. [Outcome.Describe]
// words it for an operator: "TCP connects but the peer is not Telegram:
// it answered HTTP". A network that accepts every TCP connection (a
// transparent interceptor, a captive portal, a DPI box that blackholes the
// data) therefore shows every DC down, with the reason, where a TCP probe
// showed them all up.
//
// The proxy runs a Prober in the background and reads [Prober.Snapshot]
// for mtproxy_upstream_up, /readyz and /stats; `mtproxy doctor` runs one
// [Prober.Round] with the same Method. Results go to an [Observer].
package dcprobe
