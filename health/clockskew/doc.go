// Package clockskew measures how far this host's clock is from UTC.
//
// The proxy depends on a correct clock twice: FakeTLS clients put a unix
// timestamp in their ClientHello and reject (or are rejected by) a server
// whose clock is off by more than a few seconds, and Telegram's middle
// proxies drop the RPC handshake when the two sides' timestamps differ by
// more than 30 seconds. A skewed clock therefore looks like "clients hang"
// or "middle proxies refuse us", which is hard to diagnose from the outside.
//
// Two independent sources are used:
//
//   - SNTP ([MeasureNTP]): the configured servers (NTP_SERVERS, parsed by
//     [ParseServers]) are queried concurrently, each bounded by a timeout,
//     and the median of the valid answers is taken, so one broken or lying
//     server cannot move the result. Per-server failures are reported.
//   - The HTTP Date header of Telegram's configuration responses
//     ([FromHTTPDate]): another component performs the fetch and hands the
//     header and the request's send and receive times over; the estimate
//     accounts for the round trip and the header's one-second resolution.
//
// A [Monitor] measures periodically, keeps the latest sample per source and
// reports to an [Observer]; [Classify] grades an offset against the
// configured thresholds. The package does not log and has no metrics: the
// application wires the Observer to both.
package clockskew
