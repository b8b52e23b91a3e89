// Package state is the vocabulary of the state a fleet of proxies shares
// (STATE_URL): the closed sets of store operations and health states used
// as metric labels, the Observer the store reports its calls through, the
// Stats pulled at scrape time, and Tracker, the small up/degraded/down
// state machine that decides whether the handshake path asks the store at
// all.
//
// Where it sits: several replicas behind one address share their secrets,
// so each must know what the others saw. Without STATE_URL everything is
// local and embedded (package proxy/replay, package users' Local ledger).
// With it, package state/redisstate keeps in Redis (or Valkey):
//
//	handshake ─► local replay cache ─► new? ─► shared replay store (SET NX PX, bounded timeout)
//	admit     ─► users' Ledger.Open  ─► fleet-wide max_connections / max_ips (Lua, bounded timeout)
//	relay     ─► Meter.Add (local atomics) ─► flushed every second (INCRBY in one pipeline)
//	heartbeat ─► this replica's lease counts and liveness (expire when it dies)
//
// The store fails open: when it is slow or down, clients keep working on
// local state and the Tracker's Down state keeps the handshake path from
// waiting on it at all; a probe brings it back Up, and what was decided
// locally meanwhile is written back (reconciled).
package state
