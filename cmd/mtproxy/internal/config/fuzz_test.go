package config

import (
	"encoding/hex"
	"strings"
	"testing"
)

func FuzzParseSecret(f *testing.F) {
	for _, s := range []string{"00baadf00d15abad1deaa515baadcafe", "dd00baadf00d15abad1deaa515baadcafe",
		"ee00baadf00d15abad1deaa515baadcafe6578616d706c652e636f6d", "00BAADF00D15ABAD1DEAA515BAADCAFE", "xyz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, err := parseSecret(s, 1)
		if err != nil {
			if _, herr := hex.DecodeString(s); herr == nil && len(s) >= 6 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q shows the input", err)
			}
			return
		}
		want := strings.ToLower(s)
		if len(want) == 34 {
			want = want[2:]
		}
		if got := hex.EncodeToString(key[:]); got != want {
			t.Fatalf("parseSecret(%q) = %s", s, got)
		}
	})
}

func FuzzParseDCAddr(f *testing.F) {
	for _, s := range []string{"2=127.0.0.1:4002", "-2=127.0.0.1:4002", "4=[::1]:4004", "x=1", "2=host:1", "2=[::ffff:1.2.3.4]:5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDCAddr(s, 1)
		if err != nil {
			return
		}
		if d.id == 0 || d.ap.Port() == 0 || !d.ap.Addr().IsValid() || d.ap.Addr().Is4In6() {
			t.Fatalf("parseDCAddr(%q) = %v", s, d)
		}
		again, err := parseDCAddr(d.String(), 1)
		if err != nil || again != d {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}

func FuzzParseNATInfo(f *testing.F) {
	for _, s := range []string{"10.0.0.5:203.0.113.7", "[fd00::5]:[2001:db8::7]", "[fd00::5]:2001:db8::7", "1.2.3.4", ":", "[]:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseNATInfo(s)
		if err != nil {
			return
		}
		if !n.Local.IsValid() || !n.Public.IsValid() || n.Local.IsUnspecified() || n.Public.IsUnspecified() {
			t.Fatalf("parseNATInfo(%q) = %v", s, n)
		}
		again, err := parseNATInfo("[" + n.Local.String() + "]:[" + n.Public.String() + "]")
		if err != nil || again != n {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}

func FuzzCheckHostname(f *testing.F) {
	for _, s := range []string{"www.example.com", "EXAMPLE.com", "-a.com", "a..b", "1.2.3.4", "xn--bcher-kva.example", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := checkHostname(s)
		if err != nil {
			return
		}
		if h != strings.ToLower(h) || len(h) > 253 || strings.ContainsAny(h, " /:_") {
			t.Fatalf("checkHostname(%q) = %q", s, h)
		}
		if again, err := checkHostname(h); err != nil || again != h {
			t.Fatalf("not idempotent on %q: %q, %v", h, again, err)
		}
	})
}
