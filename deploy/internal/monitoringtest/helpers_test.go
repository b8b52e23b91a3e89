package monitoringtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// repoRoot is the repository root: three levels above this package, where
// the proxy's go.mod is.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/mtproxy/mtproxy\n")) {
		t.Fatalf("%s is not the repository root (go.mod: %v)", root, err)
	}
	return root
}

// repoPath joins elem to the repository root.
func repoPath(t testing.TB, elem ...string) string {
	return filepath.Join(append([]string{repoRoot(t)}, elem...)...)
}

// toolsRequired reports that a missing external tool is a failure, not a
// reason to skip: in CI, or when asked.
func toolsRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("MTPROXY_REQUIRE_TOOLS") == "1"
}

// requireTool returns the path of an external program (from PATH, else
// /usr/bin), skipping the test when it is missing unless tools are
// required.
func requireTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/bin", name); isExecutable(p) {
		return p
	}
	msg := name + " not found (Debian package " + debianPackage + ")"
	if toolsRequired() {
		t.Fatal(msg + "; required because CI=true or MTPROXY_REQUIRE_TOOLS=1")
	}
	t.Skip(msg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// run executes a tool with a time bound and returns its combined output.
func run(t testing.TB, dir, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
