// Package metrics is the proxy's observability core: one source of truth
// for every number, rendered as Prometheus metrics and as the official
// MTProxy /stats page, and the readiness conditions.
//
// A [Metrics] value receives events from every part of the pipeline:
//
//   - the engine (proxy.Observer): accepts, the client funnel's stages and
//     stalls, handshakes (with the JA4 of FakeTLS hellos, kept as a top-20
//     label set, see fingerprints.go), fronting, dials (OK only once the DC
//     answered), closes, and per-connection traffic counters ([Metrics.Traffic]: a
//     pointer into a [secret][dc] matrix of atomics allocated at start, so
//     the relay's per-read accounting is an atomic add, with no map, lock or
//     allocation);
//   - the DC prober (dcprobe.Observer), the clock-skew monitor
//     (clockskew.Observer), the external-IP look-ups (netinfo.Observer) and
//     the middle-proxy layer ([Metrics.MiddleObserver]).
//
// Counters are atomics in arrays indexed by the observers' closed sets;
// every label value is known at start, so every series exists at zero
// from the first scrape. What the other components already keep (the
// engine's limit and buffers, the prober's last round, the middle layer's
// pools and forwarding counters, the NAT detection) is pulled at scrape
// time from sources registered with setters, in any order.
//
// [Metrics.Snapshot] takes all of it at once into a plain [Snapshot]. The
// Prometheus collector renders one snapshot per scrape as constant
// metrics, and [StatsPage] renders one as the tab-separated /stats page,
// so the two never disagree. The four duration histograms (client
// handshake, upstream dial, connection, middle-proxy handshake) are
// client_golang histograms with trace-id exemplars taken from the span of
// the observed event, and exist in Prometheus only.
//
// [Snapshot.NotReady] says which conditions for serving clients are unmet.
// Package status serves all of it over HTTP on the internal port
// (/stats, /metrics, /healthz, /readyz). README.md lists every
// metric (a test keeps it in step with the registry); docs/stats.md the
// /stats keys, which are real and which permanently 0 (a test keeps that
// list in step with the page).
package metrics
