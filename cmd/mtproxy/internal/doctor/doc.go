// Package doctor is `mtproxy doctor`: one command an operator runs when
// clients hang in "connecting" (they cannot reach the proxy) or "updating"
// (the proxy cannot reach Telegram). It loads the configuration exactly as
// the proxy does, checks everything the proxy depends on, prints one line
// per check and exits non-zero when something is wrong.
//
// # Checks
//
// In report order; each is one small file (check_*.go):
//
//   - config: the settings load (same variables, ARGS and flags as the
//     proxy); Load's warnings.
//   - clock: offset from UTC by SNTP (NTP_SERVERS) and by the Date header of
//     Telegram's config response. Above 2 s is a warning, above 5 s a
//     failure (FakeTLS clients and middle proxies refuse skewed peers).
//   - addresses: internal and external IP, NAT state, disagreement with a
//     configured IP or NAT_INFO.
//   - port, internal port: PORT and INTERNAL_PORT can be bound, or are held
//     by a running proxy that answers /healthz.
//   - running proxy: /healthz and /stats of a proxy already running on
//     INTERNAL_PORT, with its numbers.
//   - dc N: the proxy's own MTProto probe (health/dcprobe) of every
//     address of every DC (DC_ADDRS applied, PREFER_IP order): an
//     obfuscated2 connection and a req_pq_multi that must come back as a
//     resPQ. Each address shows its class and round trip, or why it is
//     not Telegram ("TCP connects but the peer is not Telegram: it
//     answered HTTP", "accepts and stays silent"): a network that accepts
//     every TCP connection does not pass. Failures of the fallback family
//     are only noted while the preferred family answers.
//   - proxy secret, proxy config: getProxySecret and getProxyConfig are
//     downloaded (never written: doctor is read-only) and compared with the
//     cached PROXY_SECRET_FILE and PROXY_CONFIG_FILE (age, validity, number
//     of DCs, same or not). A cache older than two CONFIG_REFRESH_INTERVALs
//     is called stale: it has missed a refresh.
//   - middle proxies: every proxy_for address of the downloaded (else
//     cached) list gets a TCP connect and, when a proxy secret is at hand,
//     the real RPC handshake (nonce exchange, keys, encrypted handshake),
//     through the same probe and the same handshake code as the proxy.
//     The handshake's keys mix in the address the middle proxy sees, so a
//     success proves the NAT settings right, and a failure after the nonce
//     exchange points at NAT or IP.
//   - path: how clients would reach Telegram. A warning, in plain words,
//     when they would be served directly: MODE=direct, or MODE=auto without
//     Telegram's files or with a DC lacking a working middle proxy, or a
//     running proxy whose /stats shows a DC on the direct path. Clients
//     without Premium load no photos, videos or stories that way, and an
//     ad tag needs the middle proxies.
//   - tag: the advertising tag is valid and used (MODE=middle or auto).
//   - fronting: TLS_DOMAIN resolves and its :443 (or FRONTING_ADDR) answers
//     TLS with a certificate for the domain, and does not loop back into
//     the proxy itself.
//   - links: the tg:// and t.me links for each secret with the detected
//     external address.
//
// What Telegram-facing checks mean depends on the mode: in direct mode the
// middle proxies and Telegram's files are not used, in middle mode the DCs
// are not dialled directly, so there an unreachable one is only a warning.
// MODE=auto uses both: a failing middle-proxy or file check is a warning
// there (it serves those clients directly, which the path check explains),
// and so is an unreachable DC while the middle proxies can serve it.
//
// # Exit code and output
//
// 0 when no check failed (warnings alone still give 0), 1 when any check
// failed, 2 for a bad doctor command line. The text report has one
// "[ok] / [warn] / [FAIL] / [skip]" line per check, indented notes under
// it and a summary line; --json prints the same as one JSON object. The
// links are the only lines holding secrets (--hide-links elides them); the
// tag and Telegram's proxy secret are never printed.
//
// The entry points are [ParseArgs] (doctor's flags apart from the proxy's),
// [Diagnose] (load, run, report) and [Report.WriteText] / [Report.WriteJSON].
//
// # Bounded time
//
// Every network step has its own timeout (--timeout, 3 s by default) and
// independent checks run concurrently; checks sharing a fact (the external
// address, Telegram's files) wait for the one computation of it. The whole
// run is bounded by three timeouts plus one second; offline, where DNS and
// connects fail at once, it takes well under a second.
//
// # Read-only
//
// The proxy's config.Load generates and saves secrets when none exist;
// doctor must not, so it loads with a random source that refuses to be
// read and, when Load wanted one, reports "no secret configured yet"
// (see loadconfig.go). It writes no cache file either. Dependencies (the
// dialer, HTTP client, resolver, listener, clock, randomness) are fields
// of [Options] so tests replace them.
package doctor
