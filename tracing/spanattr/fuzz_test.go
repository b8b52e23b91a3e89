package spanattr

import (
	"net/netip"
	"testing"
)

// FuzzUpstreamDial checks that any dial target yields well-formed
// attributes: exactly one server.address, a port in range, and a peer
// address only when it is an IP.
func FuzzUpstreamDial(f *testing.F) {
	for _, s := range []string{"149.154.175.50:443", "[2001:b28:f23d:f001::a]:443", "host:1", "", ":", "[::1", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		got := map[string]any{}
		for _, kv := range UpstreamDial(target) {
			if _, dup := got[string(kv.Key)]; dup {
				t.Fatalf("duplicate %s", kv.Key)
			}
			got[string(kv.Key)] = kv.Value.AsInterface()
		}
		if _, ok := got["server.address"].(string); !ok {
			t.Fatalf("no server.address: %v", got)
		}
		if p, ok := got["server.port"]; ok {
			if n := p.(int64); n < 0 || n > 65535 {
				t.Fatalf("port %d", n)
			}
		}
		if a, ok := got["network.peer.address"]; ok {
			if _, err := netip.ParseAddr(a.(string)); err != nil {
				t.Fatalf("peer address %q is not an IP", a)
			}
		}
	})
}
