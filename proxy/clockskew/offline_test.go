package clockskew

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const offlineChildEnv = "CLOCKSKEW_OFFLINE_CHILD"

// runOffline re-runs the calling test inside a fresh network namespace
// (unshare -n: no interfaces up, no routes, no DNS), and reports whether
// the caller is that child and should run the body. It skips where
// namespaces are not available.
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

// With no network at all every query fails fast with a typed error.
func TestOfflineFailsFast(t *testing.T) {
	if !runOffline(t) {
		return
	}
	obs := newRecordingObserver()
	o := Options{Servers: []string{"pool.ntp.org", "192.0.2.1", "[2001:db8::1]:123", "127.0.0.1:123"}, Timeout: 5 * time.Second}
	start := time.Now()
	_, err := MeasureNTP(context.Background(), o, obs)
	if took := time.Since(start); took > 2*time.Second {
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
