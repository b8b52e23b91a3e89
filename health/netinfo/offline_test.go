package netinfo

import (
	"context"
	"errors"
	"github.com/mtproxy/mtproxy/testkit/netns"
	"testing"
	"time"
)

// With no network at all, the defaults (public route targets, public
// look-up services) fail at once: Unknown, with every reason.
func TestOfflineDetect(t *testing.T) {
	if !netns.RunOffline(t) {
		return
	}
	obs := &recorder{}
	start := time.Now()
	r, err := Detect(context.Background(), Options{Timeout: time.Minute}, obs)
	// Far below the one-minute timeout: nothing waited for an answer.
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("offline Detect took %v", took)
	}
	if r.State != Unknown || !errors.Is(err, ErrNoExternal) || !errors.Is(err, ErrNoRoute) {
		t.Fatalf("%+v, %v", r, err)
	}
	if n := len(obs.events); n != len(DefaultDetectURLs())+len(DefaultDetectURLs6()) {
		t.Errorf("%d look-ups reported", n)
	}
	for _, ev := range obs.events {
		if ev.Result != ResultError {
			t.Errorf("%s: %s", ev.URL, ev.Result)
		}
	}
	t.Logf("offline: %v", err)

	// A configured nat-info still stands, with warnings.
	r, err = Detect(context.Background(), Options{NATInfo: "10.0.0.5:198.51.100.1"}, nil)
	if err != nil || r.State != BehindNAT || !hasWarning(r, "could not verify") {
		t.Fatalf("%+v, %v", r, err)
	}
}
