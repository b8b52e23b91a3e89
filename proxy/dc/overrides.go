package dc

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// OverrideError describes what is wrong with one item of a DC_ADDRS value.
type OverrideError struct {
	Item   string
	Reason string
}

func (e *OverrideError) Error() string {
	return fmt.Sprintf("%q: %s (example: 2=127.0.0.1:4002,-2=127.0.0.1:4002,4=[::1]:4004)", e.Item, e.Reason)
}

// ParseOverrides parses DC_ADDRS: comma-separated dc=address:port items, IPv6
// addresses in brackets, negative ids for media DCs. Repeating an id adds an
// address to it. Host names are refused: the proxy does not resolve names on
// the path of a client.
func ParseOverrides(s string) (map[int][]netip.AddrPort, error) {
	out := map[int][]netip.AddrPort{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		idStr, addrStr, ok := strings.Cut(item, "=")
		if !ok {
			return nil, &OverrideError{item, "want dc=address:port"}
		}
		id, err := strconv.Atoi(strings.TrimSpace(idStr))
		if err != nil || id == 0 || id > 32767 || id < -32768 {
			return nil, &OverrideError{item, "the DC id must be a non-zero integer"}
		}
		ap, err := netip.ParseAddrPort(strings.TrimSpace(addrStr))
		if err != nil {
			return nil, &OverrideError{item, "the address must be an IP address with a port, IPv6 in brackets"}
		}
		if ap.Port() == 0 {
			return nil, &OverrideError{item, "the port must be 1-65535"}
		}
		out[id] = append(out[id], netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	if len(out) == 0 {
		return nil, &OverrideError{s, "no dc=address:port item"}
	}
	return out, nil
}
