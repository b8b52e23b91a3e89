package dc

import (
	"net/netip"
	"reflect"
	"testing"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestBuiltinHasEveryDC(t *testing.T) {
	tb := Builtin()
	if got, want := tb.IDs(), []int{1, 2, 3, 4, 5, 203}; !reflect.DeepEqual(got, want) {
		t.Fatalf("IDs = %v, want %v", got, want)
	}
	for _, id := range tb.IDs() {
		var v4, v6 bool
		for _, a := range tb.Addrs(id) {
			if a.Port() != 443 {
				t.Errorf("DC %d: %v not on port 443", id, a)
			}
			v4 = v4 || a.Addr().Is4()
			v6 = v6 || a.Addr().Is6()
		}
		if !v4 || !v6 {
			t.Errorf("DC %d lacks a family: v4=%v v6=%v", id, v4, v6)
		}
	}
	if got := tb.Addrs(2)[0]; got != ap("149.154.167.51:443") {
		t.Errorf("DC 2 first address = %v", got)
	}
}

func TestLookup(t *testing.T) {
	tb := Builtin().WithOverrides(map[int][]netip.AddrPort{
		-4: {ap("127.0.0.1:4444")},
	})
	cases := []struct {
		req, want int
		first     string
		pref      Preference
	}{
		{1, 1, "149.154.175.50:443", PreferIPv4},
		{1, 1, "[2001:b28:f23d:f001::a]:443", PreferIPv6},
		{0, 2, "149.154.167.51:443", PreferIPv4},
		{99, 2, "149.154.167.51:443", PreferIPv4},
		{-2, -2, "149.154.167.51:443", PreferIPv4}, // media DC without its own entry: main DC's addresses
		{-4, -4, "127.0.0.1:4444", PreferIPv4},     // media DC with its own entry
		{-99, -2, "149.154.167.51:443", PreferIPv4},
		{203, 203, "91.105.192.100:443", PreferIPv4},
	}
	for _, c := range cases {
		got, addrs := tb.Lookup(c.req, c.pref)
		if got != c.want || len(addrs) == 0 || addrs[0].String() != c.first {
			t.Errorf("Lookup(%d, %v) = %d %v, want %d first %s", c.req, c.pref, got, addrs, c.want, c.first)
		}
	}
	_, only4 := tb.Lookup(2, OnlyIPv4)
	_, only6 := tb.Lookup(2, OnlyIPv6)
	if len(only4) != 2 || len(only6) != 1 {
		t.Errorf("only-ipv4 gave %v, only-ipv6 gave %v", only4, only6)
	}
}

func TestOverridesReplaceNotAdd(t *testing.T) {
	tb := Builtin().WithOverrides(map[int][]netip.AddrPort{2: {ap("127.0.0.1:4002")}})
	if got := tb.Addrs(2); len(got) != 1 || got[0] != ap("127.0.0.1:4002") {
		t.Fatalf("DC 2 = %v", got)
	}
	if got := Builtin().Addrs(2); len(got) != 3 {
		t.Fatalf("WithOverrides changed the original table: %v", got)
	}
}

func TestParsePreference(t *testing.T) {
	for _, s := range []string{"prefer-ipv4", "prefer-ipv6", "only-ipv4", "only-ipv6"} {
		p, err := ParsePreference(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePreference(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParsePreference("ipv4"); err == nil {
		t.Error("bad preference accepted")
	}
}

// A value outside the set names itself "unknown" (it used to index past
// the end of the names and panic).
func TestPreferenceStringOutOfRange(t *testing.T) {
	if got := Preference(9).String(); got != "unknown" {
		t.Fatalf("Preference(9).String() = %q", got)
	}
}
