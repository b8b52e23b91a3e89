package ramp

import (
	"context"
	"time"
)

// Schedule starts N connections evenly over Ramp.
type Schedule struct {
	N    int
	Ramp time.Duration
}

// Offset returns when connection i (0-based) starts, relative to the run's
// start: i*Ramp/N, so the first starts at once and arrivals are Ramp/N apart.
// Indexes outside [0, N) are clamped; a zero or negative Ramp starts all at
// once.
func (s Schedule) Offset(i int) time.Duration {
	if s.Ramp <= 0 || s.N <= 1 || i <= 0 {
		return 0
	}
	i = min(i, s.N-1)
	// Ramp*i could overflow int64; split Ramp into whole steps and a
	// remainder below N, whose product with i stays below N².
	step := s.Ramp / time.Duration(s.N)
	rem := s.Ramp % time.Duration(s.N)
	return step*time.Duration(i) + rem*time.Duration(i)/time.Duration(s.N)
}

// Rate returns the arrival rate during the ramp, connections per second; 0
// when every connection starts at once.
func (s Schedule) Rate() float64 {
	if s.Ramp <= 0 || s.N <= 1 {
		return 0
	}
	return float64(s.N) / s.Ramp.Seconds()
}

// Wait blocks until connection i's start time, counted from start, or until
// ctx ends (then it returns ctx's error).
func (s Schedule) Wait(ctx context.Context, start time.Time, i int) error {
	d := time.Until(start.Add(s.Offset(i)))
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
