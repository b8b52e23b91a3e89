package clockskew

import (
	"context"
	"errors"
	"testing"
	"time"
)

// tolerance is how far a loopback measurement may stray from the server's
// configured offset: the round trip is sub-millisecond, but CI machines
// are slow and share two cores.
// tolerance is how far a loopback estimate may stray from the truth: the
// error is at most half the round trip, small but unbounded on a loaded
// machine; the tests' offsets are a second or more apart.
const tolerance = 400 * time.Millisecond

func near(got, want time.Duration) bool { return abs(got-want) <= tolerance }

func TestMeasureNTPOffset(t *testing.T) {
	for _, serverAhead := range []time.Duration{3 * time.Second, -1500 * time.Millisecond, 0, 45 * time.Second} {
		srv := newSNTPServer(t, serverAhead)
		obs := newRecordingObserver()
		s, err := MeasureNTP(context.Background(), Options{Servers: []string{srv.addr()}, Timeout: 2 * time.Second}, obs)
		if err != nil {
			t.Fatalf("server ahead %v: %v", serverAhead, err)
		}
		// A server ahead of us means we are behind: our offset is negative,
		// and the truth lies within the sample's uncertainty.
		if abs(s.Offset+serverAhead) > s.Uncertainty {
			t.Errorf("server ahead %v: offset %v ± %v excludes %v", serverAhead, s.Offset, s.Uncertainty, -serverAhead)
		}
		if s.Source != SourceNTP || s.Server != srv.addr() {
			t.Errorf("sample %+v", s)
		}
		// Root delay/2 + root dispersion is ~6ms, plus half the round trip
		// (tiny on loopback, but a loaded machine can stretch it).
		if s.Uncertainty < 5*time.Millisecond || s.Uncertainty > 5*time.Second {
			t.Errorf("uncertainty %v out of the expected range", s.Uncertainty)
		}
		if time.Since(s.At) > time.Minute || time.Since(s.At) < 0 {
			t.Errorf("At %v is not now", s.At)
		}
		measured, failed := obs.snapshot()
		if len(measured) != 1 || measured[0] != s || len(failed) != 0 {
			t.Errorf("observer got %v / %v", measured, failed)
		}
	}
}

func TestMeasureNTPMedianWithDeadServers(t *testing.T) {
	a := newSNTPServer(t, 1*time.Second)
	b := newSNTPServer(t, 2*time.Second)
	liar := newSNTPServer(t, 10*time.Minute) // a false ticker
	silent := newSNTPServer(t, 0)
	silent.silent.Store(true)
	kod := newSNTPServer(t, 0)
	kod.stratum.Store(0)
	refused := deadUDPAddr(t)

	obs := newRecordingObserver()
	o := Options{
		Servers: []string{a.addr(), silent.addr(), liar.addr(), refused, kod.addr(), b.addr()},
		// Long enough for the answering servers on a loaded machine; the
		// silent one costs one timeout.
		Timeout:     3 * time.Second,
		Concurrency: 2,
	}
	start := time.Now()
	s, err := MeasureNTP(context.Background(), o, obs)
	if err != nil {
		t.Fatal(err)
	}
	// Concurrency 2, one silent server: bounded by a couple of timeouts
	// (without them the silent server would hold the round forever).
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("round took %v", took)
	}
	if s.Server != b.addr() || !near(s.Offset, -2*time.Second) {
		t.Errorf("median = %v from %s, want -2s from %s", s.Offset, s.Server, b.addr())
	}
	if silent.queries.Load() != 1 {
		t.Errorf("silent server saw %d queries", silent.queries.Load())
	}
	_, failed := obs.snapshot()
	want := map[string]Failure{silent.addr(): FailTimeout, refused: FailNetwork, kod.addr(): FailBadAnswer}
	if len(failed) != len(want) {
		t.Fatalf("failures %v, want %v", failed, want)
	}
	for _, f := range failed {
		var qe *QueryError
		if !errors.As(f.err, &qe) || f.source != SourceNTP {
			t.Fatalf("failure %+v is not a *QueryError", f)
		}
		if qe.Server != f.server || want[f.server] != qe.Failure {
			t.Errorf("server %s failed with %s (%v), want %s", f.server, qe.Failure, qe.Err, want[f.server])
		}
	}
}

func TestMeasureNTPAllFail(t *testing.T) {
	silent := newSNTPServer(t, 0)
	silent.silent.Store(true)
	o := Options{Servers: []string{deadUDPAddr(t), silent.addr(), "bad host name"}, Timeout: 200 * time.Millisecond}
	obs := newRecordingObserver()
	start := time.Now()
	_, err := MeasureNTP(context.Background(), o, obs)
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("err = %v, want ErrNoAnswer", err)
	}
	if !errors.Is(err, ErrBadServer) {
		t.Errorf("err = %v does not carry the bad address", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %v with a 200ms timeout", took)
	}
	measured, failed := obs.snapshot()
	if len(measured) != 0 || len(failed) != 4 { // three servers and the round
		t.Fatalf("observer got %v / %v", measured, failed)
	}
	last := failed[len(failed)-1]
	if last.server != "" || !errors.Is(last.err, ErrNoAnswer) {
		t.Errorf("round failure %+v", last)
	}
}

func TestMeasureNTPCanceled(t *testing.T) {
	silent := newSNTPServer(t, 0)
	silent.silent.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := MeasureNTP(ctx, Options{Servers: []string{silent.addr()}, Timeout: time.Minute}, nil)
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("cancellation took %v", took)
	}
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Failure != FailCanceled {
		t.Fatalf("err = %v, want a canceled QueryError", err)
	}
}

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		in   []Sample
		want string
	}{
		{[]Sample{{Server: "a", Offset: 5 * ms}}, "a"},
		{[]Sample{{Server: "a", Offset: 900 * ms}, {Server: "b", Offset: -2 * ms}, {Server: "c", Offset: 1 * ms}}, "c"},
		// Even count: the middle pair is (b, c); c is more certain.
		{[]Sample{{Server: "a", Offset: 0}, {Server: "b", Offset: 10 * ms, Uncertainty: 9 * ms},
			{Server: "c", Offset: 20 * ms, Uncertainty: 3 * ms}, {Server: "d", Offset: 30 * ms}}, "c"},
		{[]Sample{{Server: "a", Offset: 0}, {Server: "b", Offset: 10 * ms, Uncertainty: 3 * ms},
			{Server: "c", Offset: 20 * ms, Uncertainty: 9 * ms}, {Server: "d", Offset: 30 * ms}}, "b"},
	}
	for i, c := range cases {
		if got := median(c.in); got.Server != c.want {
			t.Errorf("case %d: median from %s, want %s", i, got.Server, c.want)
		}
	}
}
