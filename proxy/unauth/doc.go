// Package unauth bounds the connections a proxy holds for peers that have
// not authenticated: handshakes in progress and failed handshakes being
// fronted to the real site (or drained).
//
// Where it sits in the pipeline of one connection:
//
//	accept ──► Admit (may evict the oldest) ──► handshake ──┬─► ok: Release, then MAX_CONNECTIONS
//	                                                        └─► failed: fronted ... Release at the end
//
// Anyone can open sockets without a secret, so they must not share the
// limit real clients have: a [Tracker] has its own total and a per-source
// limit (an IPv4 address, or an IPv6 /64, which one subscriber usually
// holds). At a limit it does not refuse the new socket at accept, which no
// real site does, but evicts the oldest unauthenticated one (of the same
// source, when that source is at its limit): a prober holding sockets open
// loses them first, while a real client's handshake, which takes a round
// trip, is rarely the oldest. Eviction calls the connection's evict
// function once, outside the tracker's lock; the connection then ends and
// calls Release.
//
// The package does not log and has no metrics.
package unauth
