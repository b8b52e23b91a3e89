package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedDashboardsUpToDate fails when dashboards/*.json were edited
// by hand or the definitions changed without regenerating them.
func TestCommittedDashboardsUpToDate(t *testing.T) {
	if err := checkDir(filepath.Join("..", "..", "..", "dashboards")); err != nil {
		t.Fatal(err)
	}
}

// TestCheckDirDetectsDrift proves the check above can fail: a changed
// byte and a missing file are both reported as stale.
func TestCheckDirDetectsDrift(t *testing.T) {
	dir := t.TempDir()
	if err := writeDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := checkDir(dir); err != nil {
		t.Fatalf("fresh output reported stale: %v", err)
	}
	p := filepath.Join(dir, "mtproxy-host.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkDir(dir); !errors.Is(err, errStale) {
		t.Fatalf("edited file: got %v, want errStale", err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := checkDir(dir); !errors.Is(err, errStale) {
		t.Fatalf("missing file: got %v, want errStale", err)
	}
}

// TestRenderDeterministic: two renders give the same bytes, so the check
// cannot flap.
func TestRenderDeterministic(t *testing.T) {
	a, err := render()
	if err != nil {
		t.Fatal(err)
	}
	b, err := render()
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if string(a[name]) != string(b[name]) {
			t.Errorf("%s differs between two renders", name)
		}
	}
}
