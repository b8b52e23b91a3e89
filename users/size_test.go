package users

import (
	"errors"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	good := map[string]uint64{
		"0": 0, "1048576": 1 << 20, "50GiB": 50 << 30, "2MiB": 2 << 20, "2 MiB": 2 << 20,
		"1.5GB": 1_500_000_000, "1.5KiB": 1536, "10kB": 10_000, "7B": 7, " 3TiB ": 3 << 40,
	}
	for in, want := range good {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "1.5", "1.x GiB", "5 gigs", "1..5GiB", ".5GiB",
		"1.0000000001KiB", "99999999999999999999", "9000PiB", "1e9", "5gib"} {
		if n, err := ParseSize(in); err == nil || !errors.Is(err, ErrSize) {
			t.Errorf("ParseSize(%q) = %d, %v; want an ErrSize", in, n, err)
		}
	}
}

func TestFormatSizeRoundTrips(t *testing.T) {
	for _, n := range []uint64{0, 1, 1023, 1024, 1500, 50 << 30, 3<<40 + 1, 7 << 50} {
		s := FormatSize(n)
		back, err := ParseSize(s)
		if err != nil || back != n {
			t.Errorf("FormatSize(%d) = %q, parsed back as %d, %v", n, s, back, err)
		}
	}
	if s := FormatSize(50 << 30); s != "50GiB" {
		t.Errorf("FormatSize(50GiB) = %q", s)
	}
	if s := HumanSize(1536 << 20); s != "1.5 GiB" {
		t.Errorf("HumanSize = %q", s)
	}
}

func TestPeriodBoundaries(t *testing.T) {
	// Wednesday 2025-01-15 13:45 in UTC+3 is 10:45 UTC.
	at := time.Date(2025, 1, 15, 13, 45, 0, 0, time.FixedZone("X", 3*3600))
	cases := []struct {
		p          Period
		start, end string
	}{
		{Day, "2025-01-15T00:00:00Z", "2025-01-16T00:00:00Z"},
		{Week, "2025-01-13T00:00:00Z", "2025-01-20T00:00:00Z"},
		{Month, "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"},
	}
	for _, c := range cases {
		if s := c.p.Start(at).Format(time.RFC3339); s != c.start {
			t.Errorf("%s start = %s, want %s", c.p, s, c.start)
		}
		if e := c.p.End(at).Format(time.RFC3339); e != c.end {
			t.Errorf("%s end = %s, want %s", c.p, e, c.end)
		}
	}
	// Sunday belongs to the week that started on Monday.
	sun := time.Date(2025, 1, 19, 23, 59, 59, 0, time.UTC)
	if s := Week.Start(sun).Format(time.DateOnly); s != "2025-01-13" {
		t.Errorf("week of a Sunday starts %s", s)
	}
	if !Total.End(at).IsZero() || Total.Start(at).Unix() != 0 {
		t.Error("Total has an end")
	}
	for _, s := range []string{"day", "week", "month", "total"} {
		p, err := ParsePeriod(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePeriod(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParsePeriod("year"); err == nil {
		t.Error("year accepted")
	}
}
