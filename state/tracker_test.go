package state

import (
	"errors"
	"sync"
	"testing"
)

type transition struct{ from, to Health }

func TestTrackerStates(t *testing.T) {
	var got []transition
	tr := NewTracker(3, func(from, to Health) { got = append(got, transition{from, to}) })
	if tr.Health() != Up || !tr.Usable() {
		t.Fatalf("a new tracker is %v", tr.Health())
	}
	fail := errors.New("timeout")
	tr.Result(fail)
	if tr.Health() != Degraded || !tr.Usable() {
		t.Fatalf("after one failure: %v", tr.Health())
	}
	tr.Success() // a success clears the run of failures
	tr.Result(fail)
	tr.Result(fail)
	if tr.Health() != Degraded {
		t.Fatalf("two failures in a row must not be Down yet: %v", tr.Health())
	}
	tr.Result(fail)
	if tr.Health() != Down || tr.Usable() {
		t.Fatalf("three failures in a row: %v, want down", tr.Health())
	}
	tr.Result(fail) // stays down, no new transition
	tr.Result(nil)
	if tr.Health() != Up {
		t.Fatalf("a success after down: %v", tr.Health())
	}
	want := []transition{{Up, Degraded}, {Degraded, Up}, {Up, Degraded}, {Degraded, Down}, {Down, Up}}
	if len(got) != len(want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("transitions %v, want %v", got, want)
		}
	}
}

func TestTrackerConcurrent(t *testing.T) {
	var mu sync.Mutex
	downs := 0
	tr := NewTracker(0, func(_, to Health) {
		if to == Down {
			mu.Lock()
			downs++
			mu.Unlock()
		}
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				tr.Failure()
			}
		}()
	}
	wg.Wait()
	if tr.Health() != Down || downs != 1 {
		t.Fatalf("health %v after 800 failures, %d transitions to down (want 1)", tr.Health(), downs)
	}
}

func TestNames(t *testing.T) {
	for o := range numOps {
		if o.String() == "unknown" || o.String() == "" {
			t.Errorf("op %d has no name", o)
		}
	}
	for h := range numHealth {
		if h.String() == "unknown" {
			t.Errorf("health %d has no name", h)
		}
	}
	if Op(200).String() != "unknown" || Health(200).String() != "unknown" {
		t.Error("out-of-range values must name themselves unknown")
	}
	if !Up.Reachable() || !Degraded.Reachable() || Down.Reachable() || Off.Reachable() {
		t.Error("Reachable")
	}
}
