package users

import (
	"time"
)

// State is a user's standing, as the API and the page show it.
type State string

// The user states.
const (
	StateActive    State = "active"
	StateDisabled  State = "disabled"
	StateExpired   State = "expired"
	StateOverQuota State = "over_quota"
)

// Status is a user with its usage now.
type Status struct {
	Spec
	State State
	// Connections and IPs are what the user holds now.
	Connections, IPs int
	// Used is the bytes of the current quota period, which runs from
	// PeriodStart to PeriodEnd (zero for a total quota).
	Used                   uint64
	PeriodStart, PeriodEnd time.Time
	// BytesIn and BytesOut count since the process started.
	BytesIn, BytesOut uint64
	// LastSeen is the user's last authentication (zero: none since start).
	LastSeen time.Time
}

// Users returns every user with its usage, in the applied order.
func (r *Registry) Users() []Status {
	r.mu.Lock()
	specs := r.specs
	es := make([]*entry, len(specs))
	for i := range specs {
		es[i] = r.byName[specs[i].Name]
	}
	r.mu.Unlock()
	now := r.o.Now()
	out := make([]Status, len(es))
	for i, e := range es {
		out[i] = r.status(e, now)
	}
	return out
}

// User returns one user with its usage.
func (r *Registry) User(name string) (Status, bool) {
	r.mu.Lock()
	e := r.byName[name]
	r.mu.Unlock()
	if e == nil {
		return Status{}, false
	}
	return r.status(e, r.o.Now()), true
}

func (r *Registry) status(e *entry, now time.Time) Status {
	sp := e.spec.Load()
	st := Status{Spec: *sp}
	st.Connections, st.IPs = r.o.Ledger.Holding(e.name)
	st.Used = e.meter.Used(sp.QuotaPeriod, now)
	if sp.QuotaPeriod != Total {
		st.PeriodStart, st.PeriodEnd = sp.QuotaPeriod.Start(now), sp.QuotaPeriod.End(now)
	}
	st.BytesIn, st.BytesOut, _ = e.meter.Totals()
	if ns := e.seen.Load(); ns > 0 {
		st.LastSeen = time.Unix(0, ns).UTC()
	}
	switch {
	case !sp.Enabled:
		st.State = StateDisabled
	case sp.Expired(now):
		st.State = StateExpired
	case sp.Quota > 0 && st.Used >= sp.Quota:
		st.State = StateOverQuota
	default:
		st.State = StateActive
	}
	return st
}

// ResetQuota starts the user's current quota period over; false when
// there is no such user.
func (r *Registry) ResetQuota(name string) bool {
	r.mu.Lock()
	e := r.byName[name]
	r.mu.Unlock()
	if e == nil {
		return false
	}
	sp := e.spec.Load()
	e.meter.Reset(sp.QuotaPeriod, r.o.Now())
	return true
}

// States counts the users by state.
func (r *Registry) States() map[State]int {
	out := map[State]int{StateActive: 0, StateDisabled: 0, StateExpired: 0, StateOverQuota: 0}
	for _, st := range r.Users() {
		out[st.State]++
	}
	return out
}
