// Package netinfo finds the addresses the proxy is known by: its internal
// (local) address and its external (public) one, and whether a NAT sits
// between them.
//
// In middle-proxy mode both addresses enter the RPC key derivation: the
// middle proxy mixes in the address it sees, so a proxy behind NAT must use
// its public address (the official --nat-info <local>:<public>) or clients
// hang in "updating". The external address also goes into the tg:// links
// the proxy prints.
//
// [Detect] combines configuration and detection, in this precedence:
// --nat-info (parsed by [ParseNATInfo]) over the configured IP over what
// was detected. Detection is always attempted and, where configuration
// wins, only advisory: a disagreement becomes a warning and the
// [Mismatch] state. The internal address is the source address the kernel
// picks for a route to a public address (a UDP "connect", which sends no
// packet); the external one comes from plain-text "what is my IP" HTTP
// services (IP_DETECT_URLS, parsed by [ParseDetectURLs]), queried
// concurrently, the first valid answer winning and the rest cancelled.
// Each look-up is reported to an [Observer] with a closed-set result.
//
// Unlike the seed image's entry script, nothing here is fatal: with no
// network Detect returns promptly (bounded by its timeout) with state
// [Unknown] and an error explaining why, and the application decides.
// The package does not log and has no metrics.
package netinfo
