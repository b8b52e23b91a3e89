// Package users manages the people (or groups) a proxy serves, each with
// its own secret and limits, from a TOML users file (USERS_FILE) next to
// the seed image's SECRET variable.
//
// Where it sits in the pipeline:
//
//	accept ─► handshake: try the keys of the Registry's Snapshot, a
//	          returning client's (Hint) first, then most recently used
//	       ─► Admit: enabled? expired? quota left? max_connections? max_ips?
//	          refused ─► fronted like any failed handshake, counted by Reason
//	       ─► relay: Lease.Account after every read (quota bytes, rate
//	          limit wait); Lease.Done closes when the user is revoked
//
// The pieces, one concern per file: spec.go and file.go (the users file:
// parsing, validation, writing back), size.go and period.go (sizes such as
// "50GiB", calendar quota periods in UTC), ledger.go (the Ledger of
// connections, addresses and bytes, with the in-process Local one),
// registry.go (the live set and its immutable snapshots), admit.go
// (admission and leases), status.go (usage for the API and the page),
// series.go (the top-N-plus-other metric rows), persist.go and run.go
// (quota usage saved atomically, periodically and on the way out), and
// manager.go (reloads on SIGHUP or a file change, and the admin API's
// edits written back). The rate limiter is package users/ratelimit; the
// admin API and the links page are package users/admin.
//
// The engine (package proxy) knows none of this: it sees the small
// interface of proxy.Users, which the cmd wiring implements with a
// Registry. Secrets never appear in logs or errors; user names do.
package users
