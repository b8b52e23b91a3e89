package proxy

import (
	"net/netip"
	"time"
)

// Users is a live set of client secrets with per-user admission: more
// secrets than MaxSecrets, limits, quotas and revocation. When
// Options.Users is set it replaces Options.Secrets; package users
// implements it (the engine knows nothing of files or metrics).
//
// The handshake asks Keys for the current snapshot, tries the key Keys
// names first for the client's address (a returning client), then all of
// them in the snapshot's order; once one authenticates it asks Admit. A
// refusal is a failed handshake (HandshakeUserRefused), fronted like a bad
// secret so a prober learns nothing.
type Users interface {
	// Keys returns the current keys and, for the client address, the index
	// of the key to try first (-1: none). It must be cheap: it is called
	// once per handshake.
	Keys(remote netip.Addr) (KeySnapshot, int)
	// Admit decides whether the client that authenticated with key i of s
	// may connect. On success the Lease must be released when the
	// connection ends.
	Admit(s KeySnapshot, i int, remote netip.Addr) (Lease, bool)
}

// KeySnapshot is an immutable set of keys.
type KeySnapshot interface {
	// Keys returns the keys in the order to try them.
	Keys() [][16]byte
	// Name returns the name of the user of key i, for logs and spans.
	Name(i int) string
}

// Lease is one admitted connection of a user. Its methods are safe for
// concurrent use.
type Lease interface {
	// Account counts wire bytes from and to the client after every read
	// and write; wait is how long to pause before the next transfer (a
	// rate limit), ok false when the connection must end (a quota). It
	// must not allocate.
	Account(in, out int) (wait time.Duration, ok bool)
	// AdTag returns the user's own ad tag for middle mode, or nil.
	AdTag() *[16]byte
	// OnRevoke registers f to be called once if the user is revoked
	// (removed, disabled, rotated, expired) and its grace period is over;
	// f closes the connection. It is called at once if that already
	// happened.
	OnRevoke(f func())
	// Release ends the lease.
	Release()
}
