// Package redisstate keeps the state a fleet of proxies shares in Redis
// (or Valkey), through go-redis: the replay store of handshake digests,
// and the users' ledger of connections, client addresses and quota usage.
// It is turned on by STATE_URL (see ParseURL); without it the proxy is
// local and embedded, as before.
//
// Where it sits: the engine asks its local replay cache first and this
// package's Replay only for a handshake the cache has not seen; package
// users admits connections through UsersLedger (its Ledger over Leases and
// Usage), and its meters are counted locally and flushed here in batches. Nothing per read or write of client
// data goes to Redis.
//
// The keys, under the prefix of STATE_URL (default "mtproxy:"):
//
//	replay:<hex digest>          "1", SET NX with the handshake's window as TTL
//	replicas                     sorted set: replica id → expiry of its lease (ms, server clock)
//	conns:<user>                 hash: replica id → "seq connections prefix..." (one per replica)
//	usage:<user>:<period>:<start> bytes used in the quota period, INCRBY per flush
//	epoch                        random, set by the first heartbeat of an empty store
//
// A replica also writes its own replay cache (Replay.SetLocalCache) to a
// store that is new to it, told by an epoch key the first heartbeat of an
// empty store sets: at start, and after the store lost its data.
//
// Every call has a timeout: Options.Timeout (50 ms) on the handshake path,
// Options.SyncTimeout in the background. A state.Tracker counts failures:
// after a few in a row the store is Down, and the handshake path stops
// asking it (no timeout paid) until the background probe gets an answer;
// then what was decided locally is written back (replay digests, lease
// counts, usage bytes). Everything fails open: a handshake the store could
// not check is judged by the local cache alone, a connection is admitted
// against this replica's own counts, and quota usage keeps counting
// locally on top of the fleet's last known total.
//
// Replicas: each has an id (Options.Replica) and a lease in "replicas"
// refreshed every LeaseTTL/3; a replica that dies stops being counted
// after LeaseTTL. Its connection counts are one hash field per user,
// written whole with a sequence number so that a late write never
// overrides a newer one; the admission script sums the live replicas'
// fields and takes the connection only when the fleet stays within the
// user's limits.
package redisstate
