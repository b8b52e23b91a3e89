package users

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func fileOf(specs ...Spec) string {
	var b strings.Builder
	for _, s := range specs {
		b.WriteString("[[user]]\nname = \"" + s.Name + "\"\nsecret = \"" + hex.EncodeToString(s.Key[:]) + "\"\n")
	}
	return b.String()
}

func names(specs []Spec) string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return strings.Join(out, ",")
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestManagerLoadsReloadsAndRefusesABadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.toml")
	core, logs := observer.New(zap.InfoLevel)
	r := New(Options{})
	m := NewManager(r, path, []Spec{{Name: "env0", Key: key(100), Enabled: true}}, zap.New(core))
	// No file yet: the static users only.
	if err := m.Load(); err != nil {
		t.Fatal(err)
	}
	if got := names(r.Specs()); got != "env0" {
		t.Fatalf("users %s", got)
	}
	if err := os.WriteFile(path, []byte(fileOf(user("a", 1), user("b", 2))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := names(r.Specs()); got != "env0,a,b" {
		t.Fatalf("users %s", got)
	}
	// A broken file changes nothing and says so in one line.
	if err := os.WriteFile(path, []byte(fileOf(user("a", 1))+"quota = \"lots\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(); err == nil {
		t.Fatal("a broken file was applied")
	}
	if got := names(r.Specs()); got != "env0,a,b" {
		t.Fatalf("after a broken file: users %s", got)
	}
	refused := logs.FilterMessage("users file refused; the previous users stay in force").All()
	if len(refused) != 1 || !strings.Contains(refused[0].ContextMap()["error"].(string), `line 4: invalid size "lots"`) {
		t.Fatalf("refusal logged as %+v", refused)
	}
	// A file user may not reuse a static user's secret.
	if err := os.WriteFile(path, []byte(fileOf(user("c", 100))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(); err == nil {
		t.Fatal("a file user with the environment's secret was applied")
	}
	k100 := key(100)
	for _, e := range logs.All() {
		for _, v := range e.ContextMap() {
			if s, ok := v.(string); ok && strings.Contains(s, hex.EncodeToString(k100[:])) {
				t.Fatalf("a secret was logged: %v", e)
			}
		}
	}
}

func TestManagerUpdateWritesTheFileBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.toml")
	r := New(Options{})
	m := NewManager(r, path, []Spec{{Name: "0", Key: key(100), Enabled: true}}, nil)
	if err := m.Load(); err != nil {
		t.Fatal(err)
	}
	err := m.Update(func(s []Spec) ([]Spec, error) {
		return append(s, Spec{Name: "new", Key: key(7), Enabled: true, Quota: 5 << 30}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(path)
	if err != nil || names(back) != "new" || back[0].Quota != 5<<30 {
		t.Fatalf("file holds %+v, %v", back, err)
	}
	if got := names(r.Specs()); got != "0,new" {
		t.Fatalf("applied %s", got)
	}
	// An invalid edit changes neither the file nor the users.
	before, _ := os.ReadFile(path)
	if err := m.Update(func(s []Spec) ([]Spec, error) { return append(s, user("new", 8)), nil }); err == nil {
		t.Fatal("a duplicate name was written")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) || names(r.Specs()) != "0,new" {
		t.Fatal("a refused edit changed something")
	}
	if err := NewManager(New(Options{}), "", nil, nil).Update(func(s []Spec) ([]Spec, error) { return s, nil }); err != ErrNoFile {
		t.Fatalf("update without a file: %v", err)
	}
}

func TestManagerWatchSeesEditsAndRenames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.toml")
	if err := os.WriteFile(path, []byte(fileOf(user("a", 1))), 0o600); err != nil {
		t.Fatal(err)
	}
	r := New(Options{})
	m := NewManager(r, path, nil, nil)
	if err := m.Load(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Watch(ctx) }()
	defer func() { cancel(); <-done }()

	// An in-place edit (seen by the watch, or by its first reload when the
	// watch begins after it).
	if err := os.WriteFile(path, []byte(fileOf(user("a", 1), user("b", 2))), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "in-place edit", func() bool { return names(r.Specs()) == "a,b" })
	// A new file renamed over the old one, as editors and WriteFile do.
	if err := WriteFile(path, []Spec{user("c", 3)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "rename", func() bool { return names(r.Specs()) == "c" })
	// Another file in the directory is ignored.
	if err := os.WriteFile(filepath.Join(dir, "other.toml"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(); err != nil || names(r.Specs()) != "c" {
		t.Fatalf("users %s, %v", names(r.Specs()), err)
	}
}

// A read-only manager (a fleet, where the file is every replica's source
// of truth) refuses edits, saying why, and writes nothing; reloading the
// file goes on.
func TestManagerReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.toml")
	if err := os.WriteFile(path, []byte(fileOf(user("a", 1))), 0o600); err != nil {
		t.Fatal(err)
	}
	r := New(Options{})
	m := NewManager(r, path, nil, nil)
	if err := m.Load(); err != nil {
		t.Fatal(err)
	}
	m.SetReadOnly("edit the fleet's file")
	before, _ := os.ReadFile(path)
	err := m.Update(func(s []Spec) ([]Spec, error) { return append(s, user("b", 2)), nil })
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "edit the fleet's file") {
		t.Fatalf("edit of a read-only file: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) || names(r.Specs()) != "a" {
		t.Fatal("a refused edit changed something")
	}
	if err := os.WriteFile(path, []byte(fileOf(user("a", 1), user("c", 3))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(); err != nil || names(r.Specs()) != "a,c" {
		t.Fatalf("reload of a read-only manager: %v, users %s", err, names(r.Specs()))
	}
}
