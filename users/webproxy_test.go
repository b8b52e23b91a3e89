package users

import (
	"testing"
	"time"
)

// The WEB proxy's secrets follow the registry: enabled, unexpired users
// only, a new version on every Apply and when a listed user's expiry
// passes, the same version (and list) otherwise.
func TestWebProxySecrets(t *testing.T) {
	c := newClock("2030-01-01T00:00:00Z")
	r := New(Options{Now: c.Now})
	a, b, d := user("a", 1), user("b", 2), user("d", 3)
	b.Enabled = false
	d.Expires = c.Now().Add(time.Hour)
	if err := r.Apply([]Spec{a, b, d}); err != nil {
		t.Fatal(err)
	}
	src := r.WebProxySecrets()
	names := func() (uint64, []string) {
		v, list := src.Secrets()
		var out []string
		for _, s := range list {
			if s.Key != r.byName[s.Name].key {
				t.Errorf("%s: wrong key", s.Name)
			}
			out = append(out, s.Name)
		}
		return v, out
	}
	v1, got := names()
	if len(got) != 2 || got[0] != "a" || got[1] != "d" {
		t.Fatalf("listed %v, want [a d]", got)
	}
	if v, _ := names(); v != v1 {
		t.Errorf("version moved without a change: %d then %d", v1, v)
	}
	c.Set("2030-01-01T01:00:00Z") // d expires
	v2, got := names()
	if v2 == v1 || len(got) != 1 || got[0] != "a" {
		t.Errorf("after d's expiry: version %d (was %d), %v", v2, v1, got)
	}
	b.Enabled = true
	if err := r.Apply([]Spec{b}); err != nil {
		t.Fatal(err)
	}
	v3, got := names()
	if v3 == v2 || len(got) != 1 || got[0] != "b" {
		t.Errorf("after Apply: version %d (was %d), %v", v3, v2, got)
	}
}
