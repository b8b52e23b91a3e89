package users

import (
	"cmp"
	"slices"
	"sync"
)

// DefaultTop is how many users get their own metric series by default.
const DefaultTop = 50

// SeriesRow is one user's numbers for the metrics, or the sum of every
// user outside the top N under the label OtherLabel.
type SeriesRow struct {
	Label string
	// Active is the connections open now.
	Active int
	// Opened, In and Out are counters: connections admitted, bytes from
	// and to clients.
	Opened, In, Out uint64
	// Used is the bytes of the current quota period (a gauge).
	Used uint64
}

// series keeps the per-user metric series bounded: the top N users by
// traffic have their own, the rest add up in "other". A user moving in or
// out of the top N moves its later bytes with it, so that "other" only ever
// grows and each user's series only grows while it exists.
type series struct {
	mu    sync.Mutex
	users map[string]*seriesUser
	other SeriesRow // what left "other" behind: users promoted or removed
}

type seriesUser struct {
	own      bool
	reported bool   // it was part of a row already
	mark     totals // the user's totals when it last changed sides
	acc      totals // its own series' value at mark (own users)
	last     totals
}

type totals struct{ in, out, opened uint64 }

func (t totals) sub(o totals) totals { return totals{t.in - o.in, t.out - o.out, t.opened - o.opened} }
func (t totals) add(o totals) totals { return totals{t.in + o.in, t.out + o.out, t.opened + o.opened} }
func (t totals) less(o totals) bool  { return t.in < o.in || t.out < o.out || t.opened < o.opened }

// Series returns the rows of the top n users by traffic (in+out since
// start; users without any traffic are left in "other"), sorted by label,
// then the "other" row. n <= 0 puts everyone in "other".
func (r *Registry) Series(n int) []SeriesRow {
	type cur struct {
		name   string
		t      totals
		active int
		used   uint64
	}
	r.mu.Lock()
	now := make([]cur, 0, len(r.byName))
	for name, e := range r.byName {
		in, out, opened := e.meter.Totals()
		now = append(now, cur{name: name, t: totals{in, out, opened}, used: e.meter.used.Load()})
	}
	r.mu.Unlock()
	for i := range now {
		now[i].active, _ = r.o.Ledger.Holding(now[i].name)
	}
	slices.SortFunc(now, func(a, b cur) int {
		if c := cmp.Compare(b.t.in+b.t.out, a.t.in+a.t.out); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})

	s := &r.series
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == nil {
		s.users = map[string]*seriesUser{}
	}
	other := totals{s.other.In, s.other.Out, s.other.Opened}
	seen := make(map[string]bool, len(now))
	var rows []SeriesRow
	otherActive, otherUsed := 0, uint64(0)
	for i, c := range now {
		seen[c.name] = true
		u := s.users[c.name]
		if u == nil {
			u = &seriesUser{}
			s.users[c.name] = u
		}
		if c.t.less(u.last) { // the meter started over (user removed and added back)
			if !u.own {
				other = other.add(u.last.sub(u.mark))
			}
			u.mark, u.acc = totals{}, totals{}
		}
		want := i < n && c.t.in+c.t.out > 0
		switch {
		case want && !u.own && !u.reported: // new: its series has all its bytes
			u.own = true
		case want && !u.own: // promoted: what it did so far stays in other
			other = other.add(c.t.sub(u.mark))
			u.own, u.mark, u.acc = true, c.t, totals{}
		case !want && u.own: // demoted: its series ends
			u.own, u.mark = false, c.t
		}
		u.last, u.reported = c.t, true
		if u.own {
			v := u.acc.add(c.t.sub(u.mark))
			rows = append(rows, SeriesRow{Label: c.name, Active: c.active, Opened: v.opened, In: v.in, Out: v.out, Used: c.used})
		} else {
			otherActive += c.active
			otherUsed += c.used
		}
	}
	for name, u := range s.users {
		if !seen[name] { // removed
			if !u.own {
				other = other.add(u.last.sub(u.mark))
			}
			delete(s.users, name)
		}
	}
	s.other = SeriesRow{Label: OtherLabel, In: other.in, Out: other.out, Opened: other.opened}
	// The live "other" adds the current bytes of the users in it.
	live := other
	for _, c := range now {
		if u := s.users[c.name]; !u.own {
			live = live.add(c.t.sub(u.mark))
		}
	}
	slices.SortFunc(rows, func(a, b SeriesRow) int { return cmp.Compare(a.Label, b.Label) })
	return append(rows, SeriesRow{Label: OtherLabel, Active: otherActive, Opened: live.opened, In: live.in, Out: live.out, Used: otherUsed})
}
