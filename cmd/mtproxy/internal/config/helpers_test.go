package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// counter is a deterministic randomness source: 0, 1, 2, ...
type counter struct{ n byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

// env clears every variable Load reads (a blank value is "unset"), points
// SECRET_FILE into a temporary directory, then sets vars.
func env(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, s := range settingTable() {
		if s.flag != "" {
			t.Setenv(s.env, "")
		}
	}
	t.Setenv("ARGS", "")
	t.Setenv("SECRET_FILE", filepath.Join(t.TempDir(), "data", "secret"))
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

func load(t *testing.T, vars map[string]string, args ...string) (*Config, []Warning, error) {
	t.Helper()
	env(t, vars)
	return Load(args, &counter{})
}

func mustLoad(t *testing.T, vars map[string]string, args ...string) (*Config, []Warning) {
	t.Helper()
	c, w, err := load(t, vars, args...)
	if err != nil {
		t.Fatalf("Load(%v, %q): %v", vars, args, err)
	}
	return c, w
}

// mustFail checks that Load fails with an *Error naming name, with an
// example, wrapping sentinel, and not containing any of hidden.
func mustFail(t *testing.T, vars map[string]string, args []string, name string, sentinel error, hidden ...string) *Error {
	t.Helper()
	_, _, err := load(t, vars, args...)
	if err == nil {
		t.Fatalf("Load(%v, %q) succeeded, want an error naming %s", vars, args, name)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not *Error", err, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, name) {
		t.Errorf("error %q does not name %s", msg, name)
	}
	if !strings.Contains(msg, "(example: ") {
		t.Errorf("error %q has no example", msg)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("error %q does not wrap %v", msg, sentinel)
	}
	for _, h := range hidden {
		if h != "" && strings.Contains(strings.ToLower(msg), strings.ToLower(h)) {
			t.Errorf("error %q shows the secret value %q", msg, h)
		}
	}
	return e
}

func hasWarning(ws []Warning, sub string) bool {
	for _, w := range ws {
		if strings.Contains(string(w), sub) {
			return true
		}
	}
	return false
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}
