package users

import (
	"net/netip"

	"github.com/mtproxy/mtproxy/proxy"
)

// Engine returns the registry as the engine's proxy.Users: the handshake
// takes the current snapshot with the client's hint, and admits through
// Admit.
func (r *Registry) Engine() proxy.Users { return engineUsers{r} }

type engineUsers struct{ r *Registry }

var (
	_ proxy.KeySnapshot = (*Snapshot)(nil)
	_ proxy.Lease       = (*Lease)(nil)
)

func (u engineUsers) Keys(remote netip.Addr) (proxy.KeySnapshot, int) {
	s := u.r.Snapshot()
	return s, u.r.Hint(s, remote)
}

func (u engineUsers) Admit(ks proxy.KeySnapshot, i int, remote netip.Addr) (proxy.Lease, bool) {
	s, ok := ks.(*Snapshot)
	if !ok || i < 0 || i >= s.Len() {
		return nil, false
	}
	l, why := u.r.Admit(s, i, remote)
	if why != Admitted {
		return nil, false
	}
	return l, true
}
