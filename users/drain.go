package users

import (
	"go.uber.org/zap"
)

// drain revokes e's current connections at the end of the grace period if
// e still admits nobody then (retired, disabled or expired) and has not
// been restored meanwhile; a retired user absent from the set by then is
// forgotten by the ledger.
func (r *Registry) drain(e *entry) {
	e.mu.Lock()
	ls := make([]*Lease, 0, len(e.leases))
	for l := range e.leases {
		ls = append(ls, l)
	}
	revived, retired := e.revived, e.retired
	e.mu.Unlock()
	if len(ls) == 0 && !retired {
		return
	}
	if len(ls) > 0 {
		r.o.Logger.Info("draining a user's connections", zap.String("user", e.name), zap.Int("connections", len(ls)),
			zap.Duration("grace", r.o.Grace))
	}
	r.after(r.o.Grace, func() {
		if !r.graceOver(e, revived) {
			if len(ls) > 0 {
				r.o.Logger.Info("a user was restored within the grace period; its connections go on", zap.String("user", e.name))
			}
			return
		}
		for _, l := range ls {
			l.revoke()
		}
	})
}

// revive makes e admit again (restored, or enabled again): a drain begun
// before is void.
func (e *entry) revive() {
	e.mu.Lock()
	e.retired = false
	e.revived++
	e.mu.Unlock()
}

// graceOver ends the grace period of a drain begun when e had been
// revived that many times. It reports whether the revocation still holds,
// and forgets a retired user that was not restored.
func (r *Registry) graceOver(e *entry, revived uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.mu.Lock()
	stale, retired := e.revived != revived, e.retired
	e.mu.Unlock()
	if stale {
		return false
	}
	if retired {
		if r.retiring[e.name] == e {
			delete(r.retiring, e.name)
			if r.byName[e.name] == nil {
				r.o.Ledger.Forget(e.name)
			}
		}
		return true
	}
	sp := e.spec.Load()
	return !sp.Enabled || sp.Expired(r.o.Now())
}
