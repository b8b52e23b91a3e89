// Package netns runs a test inside a fresh network namespace, where there
// is no network at all: no interface up, no route, no DNS. Tests use it to
// prove that code depending on the network fails fast and clearly offline,
// as a proxy started on an isolated machine must.
package netns

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv marks the re-executed test binary inside the namespace.
const childEnv = "MTPROXY_NETNS_CHILD"

// RunOffline re-runs the calling test inside a new network namespace
// (unshare -rn) and reports whether the caller is that child and should
// run the test's body; the parent fails when the child does. It skips
// where unshare or user namespaces are not available.
//
//	func TestOffline(t *testing.T) {
//		if !netns.RunOffline(t) {
//			return
//		}
//		... the body, with no network ...
//	}
func RunOffline(t *testing.T) bool {
	t.Helper()
	if os.Getenv(childEnv) == "1" {
		return true
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not installed")
	}
	if err := exec.Command(unshare, "-rn", "true").Run(); err != nil {
		t.Skipf("cannot create a network namespace: %v", err)
	}
	cmd := exec.Command(unshare, "-rn", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("offline child failed: %v\n%s", err, out)
	}
	return false
}
