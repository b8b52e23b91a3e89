// Package fronthost knows where failed handshakes go: the addresses of the
// fronting host (FRONTING_ADDR, else TLS_DOMAIN:443), and whether one of
// them is this proxy.
//
// Where it sits in the pipeline:
//
//	handshake fails ──► engine fronts ──► Resolver.Dial ──► cached addresses ──► site
//	                                           │
//	                    Run: re-resolve every Refresh, in the background
//
// A scan is thousands of failed handshakes; resolving the host for each
// would turn it into a DNS flood, and a slow or throttled resolver into
// instant closes that no real site shows. The [Resolver] resolves once,
// serves the answer for Refresh and keeps serving it (stale) while a
// background look-up replaces it; only the very first use waits for DNS,
// and a failed look-up is not repeated for RetryAfter, however many
// handshakes ask. Look-ups are single-flight and counted by result.
//
// Every answer is checked against [Self], the places this proxy accepts
// clients: a fronting address that is the proxy itself would send every
// probe back to the proxy in a loop. The application refuses to start on
// such a configuration; a DNS change that makes one later is refused the
// same way ([ErrSelf]) and reported, and the old addresses are dropped.
//
// Go's resolver does not expose record TTLs, so the cache re-resolves
// periodically instead of honouring them; Refresh defaults to a minute,
// below common TTLs.
//
// The package does not log and has no metrics.
package fronthost
