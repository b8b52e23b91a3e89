package ramp

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestOffsets(t *testing.T) {
	s := Schedule{N: 4, Ramp: time.Second}
	want := []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond}
	for i, w := range want {
		if got := s.Offset(i); got != w {
			t.Errorf("Offset(%d) = %v, want %v", i, got, w)
		}
	}
	if s.Offset(-3) != 0 || s.Offset(10) != 750*time.Millisecond {
		t.Error("out-of-range indexes not clamped")
	}
	if got := s.Rate(); got != 4 {
		t.Errorf("Rate = %v, want 4/s", got)
	}
}

// Offsets that do not divide evenly stay exact to the nanosecond and
// increasing: 7 connections over 1s.
func TestOffsetsUneven(t *testing.T) {
	s := Schedule{N: 7, Ramp: time.Second}
	prev := time.Duration(-1)
	for i := 0; i < 7; i++ {
		got := s.Offset(i)
		want := time.Duration(int64(i) * int64(time.Second) / 7)
		if got != want {
			t.Errorf("Offset(%d) = %d, want %d", i, got, want)
		}
		if got <= prev {
			t.Errorf("not increasing at %d", i)
		}
		prev = got
	}
	// Huge values must not overflow.
	big := Schedule{N: 1 << 20, Ramp: time.Duration(math.MaxInt64)}
	if got := big.Offset(1<<20 - 1); got <= 0 || got > big.Ramp {
		t.Errorf("overflowed: %d", got)
	}
}

func TestNoRamp(t *testing.T) {
	for _, s := range []Schedule{{N: 10}, {N: 10, Ramp: -time.Second}, {N: 1, Ramp: time.Second}, {}} {
		for i := 0; i < 10; i++ {
			if s.Offset(i) != 0 {
				t.Errorf("%+v: Offset(%d) = %v", s, i, s.Offset(i))
			}
		}
		if s.Rate() != 0 {
			t.Errorf("%+v: Rate = %v", s, s.Rate())
		}
	}
}

func TestWait(t *testing.T) {
	s := Schedule{N: 2, Ramp: time.Hour}
	start := time.Now()
	if err := s.Wait(context.Background(), start, 0); err != nil {
		t.Errorf("first connection waited: %v", err)
	}
	// Connection 1 is due in 30 minutes: a cancelled context must end the
	// wait with its error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx, start, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	// A start in the past means no wait, but a dead context still says so.
	if err := s.Wait(ctx, start.Add(-2*time.Hour), 1); !errors.Is(err, context.Canceled) {
		t.Errorf("past start with dead context: %v", err)
	}
	short := Schedule{N: 2, Ramp: 20 * time.Millisecond}
	t0 := time.Now()
	if err := short.Wait(context.Background(), t0, 1); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(t0); el < 10*time.Millisecond {
		t.Errorf("returned after %v, before its 10ms offset", el)
	}
}
