// Package auto is the upstream of MODE=auto: middle proxies whenever they
// can serve, direct otherwise, chosen per DC for each new client. It holds
// the two peer upstreams, proxy/middle and proxy/direct, and implements
// [proxy.Upstream] over them.
//
// Its place in the pipeline:
//
//	client ─► engine (handshake) ─► Auto.Serve ─► the DC's path now
//	                                                 ├─ middle ─► Middle.Serve (RPC_PROXY_REQ)
//	                                                 └─ direct ─► Direct.Serve (a connection to the DC)
//
// Why middle first. Since spring 2026 Telegram's clients on accounts
// without Premium do not load photos, videos and stories through a proxy
// that connects straight to the DCs: media needs the session the middle
// proxies set up. The ad tag needs them too. Direct mode is one hop
// shorter and needs none of Telegram's files, which is why it is the
// fallback: a proxy started offline still serves.
//
// The state machine, one per DC (each id of Options.DCs and its media
// counterpart; every other id shares one state, judged by the default
// DC's middle proxies):
//
//	Telegram's files in at start          no files at start
//	           │                                 │
//	           ▼    DC's middle proxies ready    ▼
//	        middle ◄──────────────────────────── direct
//	           │                                 ▲
//	           └─────────────────────────────────┘
//	 no ready middle-proxy connection for longer than Threshold
//	           (never when Threshold is negative)
//
// The state is evaluated for each new client of the DC and every
// CheckInterval by [Auto.Run], so the path exported to the metrics is
// current even without clients. A client keeps the path it started on:
// a switch never touches connected clients. Every switch is reported once
// to the [Observer] (the binary logs it and counts it); [Auto.Paths]
// gives the path of every DC now. The clock is Options.Now.
package auto
