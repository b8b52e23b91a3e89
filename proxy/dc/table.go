package dc

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// DefaultDC is where clients go that name DC 0 or a DC the table does not know.
const DefaultDC = 2

// Preference orders (or filters) the address families of a DC.
type Preference uint8

// Address family preferences, as PREFER_IP spells them.
const (
	PreferIPv4 Preference = iota // IPv4 first, then IPv6
	PreferIPv6                   // IPv6 first, then IPv4
	OnlyIPv4
	OnlyIPv6
	numPreferences
)

// ParsePreference parses prefer-ipv4, prefer-ipv6, only-ipv4 or only-ipv6.
func ParsePreference(s string) (Preference, error) {
	switch s {
	case "prefer-ipv4", "":
		return PreferIPv4, nil
	case "prefer-ipv6":
		return PreferIPv6, nil
	case "only-ipv4":
		return OnlyIPv4, nil
	case "only-ipv6":
		return OnlyIPv6, nil
	}
	return 0, fmt.Errorf("dc: unknown IP preference %q (want prefer-ipv4, prefer-ipv6, only-ipv4 or only-ipv6)", s)
}

var preferenceNames = [...]string{
	PreferIPv4: "prefer-ipv4", PreferIPv6: "prefer-ipv6", OnlyIPv4: "only-ipv4", OnlyIPv6: "only-ipv6",
}

// One name per Preference: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(preferenceNames)-int(numPreferences)]

// String returns the preference as PREFER_IP spells it.
func (p Preference) String() string { return enum.Name(preferenceNames[:], p) }

// Table maps DC ids to addresses. It is immutable once built.
type Table struct {
	addrs map[int][]netip.AddrPort
}

// Builtin returns the table of Telegram's production DCs (port 443), as mtg
// and TDLib know them: DC 1-5 and the CDN DC 203, IPv4 and IPv6.
func Builtin() *Table {
	m := map[int][]string{
		1:   {"149.154.175.50", "2001:b28:f23d:f001::a"},
		2:   {"149.154.167.51", "95.161.76.100", "2001:67c:4e8:f002::a"},
		3:   {"149.154.175.100", "2001:b28:f23d:f003::a"},
		4:   {"149.154.167.91", "2001:67c:4e8:f004::a"},
		5:   {"149.154.171.5", "2001:b28:f23f:f005::a"},
		203: {"91.105.192.100", "2a0a:f280:203:a:5000::100"},
	}
	t := &Table{addrs: make(map[int][]netip.AddrPort, len(m))}
	for id, ips := range m {
		for _, ip := range ips {
			t.addrs[id] = append(t.addrs[id], netip.AddrPortFrom(netip.MustParseAddr(ip), 443))
		}
	}
	return t
}

// New builds a table from explicit addresses.
func New(addrs map[int][]netip.AddrPort) *Table {
	t := &Table{addrs: make(map[int][]netip.AddrPort, len(addrs))}
	for id, a := range addrs {
		t.addrs[id] = slices.Clone(a)
	}
	return t
}

// WithOverrides returns a copy of t in which every DC present in over has
// exactly the addresses given there (DC_ADDRS replaces, it does not add).
func (t *Table) WithOverrides(over map[int][]netip.AddrPort) *Table {
	n := New(t.addrs)
	for id, a := range over {
		n.addrs[id] = slices.Clone(a)
	}
	return n
}

// IDs returns the DC ids of the table, sorted.
func (t *Table) IDs() []int {
	ids := make([]int, 0, len(t.addrs))
	for id := range t.addrs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// Addrs returns all addresses of a DC as configured, in table order.
func (t *Table) Addrs(id int) []netip.AddrPort { return slices.Clone(t.addrs[id]) }

// Lookup resolves the DC a client asked for to the DC to dial and its
// addresses in preference order. A media DC (negative id) uses its own entry
// when the table has one, else the entry of the matching main DC; DC 0 and
// unknown DCs go to DefaultDC. The returned id keeps the sign of a media
// request so it can be sent on in the DC-side header.
func (t *Table) Lookup(requested int, pref Preference) (resolved int, addrs []netip.AddrPort) {
	resolved = requested
	a, ok := t.addrs[requested]
	if !ok && requested < 0 {
		a, ok = t.addrs[-requested]
	}
	if !ok {
		resolved = DefaultDC
		if requested < 0 {
			resolved = -DefaultDC
		}
		if a, ok = t.addrs[resolved]; !ok {
			a = t.addrs[DefaultDC]
		}
	}
	return resolved, order(a, pref)
}

func order(a []netip.AddrPort, pref Preference) []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(a))
	pick := func(v6 bool) {
		for _, ap := range a {
			if ap.Addr().Unmap().Is6() == v6 {
				out = append(out, ap)
			}
		}
	}
	switch pref {
	case PreferIPv4:
		pick(false)
		pick(true)
	case PreferIPv6:
		pick(true)
		pick(false)
	case OnlyIPv4:
		pick(false)
	case OnlyIPv6:
		pick(true)
	}
	return out
}
