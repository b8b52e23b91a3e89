package netinfo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const offlineChildEnv = "NETINFO_OFFLINE_CHILD"

// runOffline re-runs the calling test inside a fresh network namespace
// (unshare -n: no interfaces up, no routes, no DNS) and reports whether the
// caller is that child and should run the body. It skips where namespaces
// are not available.
func runOffline(t *testing.T) bool {
	t.Helper()
	if os.Getenv(offlineChildEnv) == "1" {
		return true
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not installed")
	}
	if err := exec.Command(unshare, "-n", "true").Run(); err != nil {
		t.Skipf("cannot create a network namespace: %v", err)
	}
	cmd := exec.Command(unshare, "-n", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), offlineChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("offline child failed: %v\n%s", err, out)
	}
	return false
}

// With no network at all, the defaults (public route targets, public
// look-up services) fail at once: Unknown, with every reason.
func TestOfflineDetect(t *testing.T) {
	if !runOffline(t) {
		return
	}
	obs := &recorder{}
	start := time.Now()
	r, err := Detect(context.Background(), Options{}, obs)
	if took := time.Since(start); took > 2*time.Second {
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
