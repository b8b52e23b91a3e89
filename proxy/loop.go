package proxy

import (
	"bytes"
	"net/netip"
	"sync"
	"time"
)

// Bounds of the loop guard's memory of recent fronted connections.
const (
	loopRecent   = 64               // connections remembered
	loopPrefix   = 64               // of their first bytes
	loopWindow   = 10 * time.Second // for this long
	loopMinMatch = 4                // the shortest prefix compared
)

// loopGuard recognises a connection that carries our own fronted bytes
// back to us: the fronting address leads to this proxy (a DNS change, a
// NAT forwarding the site's address here) despite the checks at start and
// on every look-up. Such a connection comes either from the very socket a
// fronting splice dialled (a direct loop), or, through a NAT that rewrites
// the source to this host's public address, from one of this host's
// addresses with the first bytes a splice just replayed. Loopback sources
// are judged by the socket alone: local clients (health checks, tests)
// sending the same bytes as a recent probe are no loop.
type loopGuard struct {
	mu     sync.Mutex
	dialed map[netip.AddrPort]int // local addresses of the splices' sockets
	recent [loopRecent]fronted
	next   int
}

// fronted is one recently fronted connection.
type fronted struct {
	at     time.Time
	n      int
	prefix [loopPrefix]byte
}

// started notes a splice whose socket is bound to local and which replays
// sent.
func (g *loopGuard) started(local netip.AddrPort, sent []byte, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dialed == nil {
		g.dialed = make(map[netip.AddrPort]int)
	}
	g.dialed[local]++
	f := &g.recent[g.next]
	g.next = (g.next + 1) % loopRecent
	f.at, f.n = now, copy(f.prefix[:], sent)
}

// ended forgets the splice bound to local.
func (g *loopGuard) ended(local netip.AddrPort) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dialed[local]--; g.dialed[local] <= 0 {
		delete(g.dialed, local)
	}
}

// loops reports whether a connection from remote that sent got is one of
// our splices come back: from a socket a splice dialled, or from one of
// this host's addresses other than loopback (own) with the first bytes of
// a splice started within loopWindow.
func (g *loopGuard) loops(remote netip.AddrPort, got []byte, own bool, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dialed[remote] > 0 {
		return true
	}
	if !own || remote.Addr().IsLoopback() {
		return false
	}
	for i := range g.recent {
		f := &g.recent[i]
		n := min(f.n, len(got))
		if n >= loopMinMatch && now.Sub(f.at) < loopWindow && bytes.Equal(f.prefix[:n], got[:n]) {
			return true
		}
	}
	return false
}
