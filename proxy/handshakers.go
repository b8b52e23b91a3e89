package proxy

import (
	"net"
	"sync"
)

// maxIdleHandshakers bounds the goroutines kept waiting for the next
// accepted connection: about 8 KiB of stack each at most.
const maxIdleHandshakers = 64

// handshakers keeps the goroutines that ran a handshake for the next
// accepted connections, as a stack of idle ones (the most recently used,
// whose stack is the most likely still grown, first).
//
// The handshake deepens a goroutine's stack past its starting size (the
// frames above the obfuscated2 key schedules and hashes come to about
// 3 KiB): a fresh goroutine grows it, copying it each time, and that
// and the goroutine's creation came to about 5% of the proxy's CPU per
// middle-mode client session (perf: runtime.newstack 3.7%, newproc 1.1%).
// A goroutine that is done with a connection (it handed the session to a
// fresh goroutine of its own, see serveConnHandoff, or closed it) waits
// here for the next one, unless maxIdleHandshakers wait already: it ends
// then, as it ends once the proxy stops.
type handshakers struct {
	mu     sync.Mutex
	idle   []*handshaker
	closed bool
}

// handshaker is one goroutine's mailbox for its next connection.
type handshaker struct {
	next chan acceptedConn // buffered: hand never blocks
}

// acceptedConn is a connection for a handshaker.
type acceptedConn struct {
	conn      net.Conn
	keepAlive bool
}

// hand gives a to an idle handshaker; false when none is waiting.
func (hs *handshakers) hand(a acceptedConn) bool {
	hs.mu.Lock()
	n := len(hs.idle)
	if n == 0 {
		hs.mu.Unlock()
		return false
	}
	w := hs.idle[n-1]
	hs.idle[n-1] = nil
	hs.idle = hs.idle[:n-1]
	hs.mu.Unlock()
	w.next <- a // not closed: close takes only the idle ones
	return true
}

// wait parks w until hand gives it a connection. It returns false at
// once when maxIdleHandshakers wait already or the proxy stopped, and
// later when the proxy stops: w's goroutine ends then.
func (hs *handshakers) wait(w *handshaker) (acceptedConn, bool) {
	hs.mu.Lock()
	if hs.closed || len(hs.idle) >= maxIdleHandshakers {
		hs.mu.Unlock()
		return acceptedConn{}, false
	}
	hs.idle = append(hs.idle, w)
	hs.mu.Unlock()
	a, ok := <-w.next
	return a, ok
}

// close ends the idle handshakers and keeps any from waiting again.
func (hs *handshakers) close() {
	hs.mu.Lock()
	idle := hs.idle
	hs.idle, hs.closed = nil, true
	hs.mu.Unlock()
	for _, w := range idle {
		close(w.next)
	}
}

// handshaker serves a, then the connections hand gives it, until
// handshakers.wait lets it go.
func (p *Proxy) handshaker(a acceptedConn) {
	w := &handshaker{next: make(chan acceptedConn, 1)}
	for ok := true; ok; a, ok = p.handshakers.wait(w) {
		p.serveConnHandoff(a.conn, a.keepAlive)
	}
}
