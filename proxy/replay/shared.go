package replay

import "time"

// Shared is a second opinion on handshakes, shared by a fleet of proxies
// (package state/redisstate implements it with Redis): the engine asks it
// only about a handshake its local Cache has not seen, so that a hello
// accepted by one replica, or by this one before a restart, is refused.
//
// Seen reports whether k was recorded by any replica, and records it until
// expires: the moment the handshake could not be accepted again anyway. It
// runs on the handshake path, so it must be safe for concurrent use and
// bounded in time; when it cannot tell, it reports false (the local
// cache's verdict stands).
type Shared interface {
	Seen(k Key, now, expires time.Time) bool
}
