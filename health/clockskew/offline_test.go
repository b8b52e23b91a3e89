package clockskew

import (
	"context"
	"errors"
	"github.com/mtproxy/mtproxy/testkit/netns"
	"testing"
	"time"
)

// With no network at all every query fails fast with a typed error.
func TestOfflineFailsFast(t *testing.T) {
	if !netns.RunOffline(t) {
		return
	}
	obs := newRecordingObserver()
	o := Options{Servers: []string{"pool.ntp.org", "192.0.2.1", "[2001:db8::1]:123", "127.0.0.1:123"}, Timeout: time.Minute}
	start := time.Now()
	_, err := MeasureNTP(context.Background(), o, obs)
	// Far below the one-minute timeout: nothing waited for an answer.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("offline round took %v", took)
	}
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("err = %v", err)
	}
	_, failed := obs.snapshot()
	if len(failed) != len(o.Servers)+1 {
		t.Fatalf("%d failures reported for %d servers", len(failed), len(o.Servers))
	}
	for _, f := range failed[:len(failed)-1] {
		var qe *QueryError
		if !errors.As(f.err, &qe) || (qe.Failure != FailNetwork && qe.Failure != FailResolve) {
			t.Errorf("%s: %v", f.server, f.err)
		}
		t.Logf("%s: %v", f.server, f.err)
	}
}
