package users

import (
	"fmt"
	"time"
)

// Period is how often a user's quota starts over: at the start of each
// calendar day, ISO week (Monday) or month in UTC, or never (Total).
type Period uint8

// The quota periods.
const (
	Month Period = iota // the default
	Week
	Day
	Total
)

// ParsePeriod parses "day", "week", "month" or "total"; "" is Month.
func ParsePeriod(s string) (Period, error) {
	switch s {
	case "", "month":
		return Month, nil
	case "week":
		return Week, nil
	case "day":
		return Day, nil
	case "total":
		return Total, nil
	}
	return 0, fmt.Errorf("quota_period %q: want day, week, month or total", s)
}

func (p Period) String() string {
	switch p {
	case Week:
		return "week"
	case Day:
		return "day"
	case Total:
		return "total"
	}
	return "month"
}

// Start returns the start of the period holding t, in UTC. For Total it is
// the Unix epoch: the period never ends.
func (p Period) Start(t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	switch p {
	case Day:
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case Week:
		wd := (int(t.Weekday()) + 6) % 7 // Monday is 0
		return time.Date(y, m, d-wd, 0, 0, 0, 0, time.UTC)
	case Total:
		return time.Unix(0, 0).UTC()
	}
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// End returns the start of the next period after the one holding t; the
// zero time for Total.
func (p Period) End(t time.Time) time.Time {
	s := p.Start(t)
	switch p {
	case Day:
		return s.AddDate(0, 0, 1)
	case Week:
		return s.AddDate(0, 0, 7)
	case Total:
		return time.Time{}
	}
	return s.AddDate(0, 1, 0)
}
