package users

import (
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
)

// WebProxySecrets returns the registry as the WEB proxy carrier's
// webproxy.SecretSource: the secrets of the users who may connect now
// (enabled and not expired; the static users from SECRET included), so a
// user added, rotated, disabled, removed or expired gains or loses the
// bridge page without a restart. Its version changes whenever the users
// are applied (a reload or an admin edit) and when a listed user's expiry
// passes; the carrier recomputes the capabilities only then. A user over
// quota or limits keeps the page: admission refuses its streams.
func (r *Registry) WebProxySecrets() webproxy.SecretSource { return &webSecrets{r: r} }

type webSecrets struct {
	r *Registry

	mu      sync.Mutex
	built   bool
	gen     uint64    // the registry generation the list was built from
	next    time.Time // the earliest expiry among the listed; zero: none
	version uint64
	list    []webproxy.Secret
}

// Secrets is called once per request that could carry a capability: it
// costs an atomic load, a clock reading and a mutex unless the users
// changed.
func (w *webSecrets) Secrets() (uint64, []webproxy.Secret) {
	gen := w.r.applied.Load()
	now := w.r.o.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.built && gen == w.gen && (w.next.IsZero() || now.Before(w.next)) {
		return w.version, w.list
	}
	specs, gen := w.r.specsGen()
	list := make([]webproxy.Secret, 0, len(specs))
	var next time.Time
	for i := range specs {
		s := &specs[i]
		if !s.Enabled || s.Expired(now) {
			continue
		}
		list = append(list, webproxy.Secret{Name: s.Name, Key: s.Key})
		if !s.Expires.IsZero() && (next.IsZero() || s.Expires.Before(next)) {
			next = s.Expires
		}
	}
	w.built, w.gen, w.next, w.list = true, gen, next, list
	w.version++
	return w.version, w.list
}
