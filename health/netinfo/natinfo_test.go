package netinfo

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseNATInfo(t *testing.T) {
	l, p, err := ParseNATInfo(" 10.0.0.5:198.51.100.7\n")
	if err != nil {
		t.Fatal(err)
	}
	if l != netip.MustParseAddr("10.0.0.5") || p != netip.MustParseAddr("198.51.100.7") {
		t.Fatalf("got %s, %s", l, p)
	}
}

func TestParseNATInfoBad(t *testing.T) {
	cases := map[string]string{
		"":                        "<local>:<public>",
		"10.0.0.5":                "<local>:<public>",
		"10.0.0.5:":               "public",
		":198.51.100.7":           "local",
		"10.0.0.5:198.51.100.7:1": "public",
		"10.0.0.256:1.2.3.4":      "local",
		"010.0.0.5:1.2.3.4":       "local", // ambiguous octal
		"::1:1.2.3.4":             "local",
		"10.0.0.5:::ffff:1.2.3.4": "public",
		"0.0.0.0:1.2.3.4":         "not a host address",
		"10.0.0.5:224.0.0.1":      "not a host address",
		"host:1.2.3.4":            "local",
		"10.0.0.5 : 1.2.3.4":      "local",
	}
	for in, want := range cases {
		_, _, err := ParseNATInfo(in)
		if !errors.Is(err, ErrBadNATInfo) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseNATInfo(%q) = %v, want ErrBadNATInfo mentioning %q", in, err, want)
		}
	}
}

func FuzzParseNATInfo(f *testing.F) {
	for _, s := range []string{"10.0.0.5:198.51.100.7", "1.2.3.4:1.2.3.4", ":", "::1:2", "0.0.0.0:1.1.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, p, err := ParseNATInfo(s)
		if err != nil {
			if !errors.Is(err, ErrBadNATInfo) || l.IsValid() || p.IsValid() {
				t.Fatalf("%q: %v with %s, %s", s, err, l, p)
			}
			return
		}
		if !l.Is4() || !p.Is4() {
			t.Fatalf("%q: non-IPv4 %s, %s", s, l, p)
		}
		l2, p2, err := ParseNATInfo(l.String() + ":" + p.String())
		if err != nil || l2 != l || p2 != p {
			t.Fatalf("%q does not round-trip: %s:%s, %v", s, l2, p2, err)
		}
	})
}
