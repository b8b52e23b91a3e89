package proxy

import "sync"

// liveConns is the set of open client connections, a list threaded
// through their connScopes: once the proxy's context ends (Close, or the
// end of Shutdown's wait) it closes them all, and once the drain starts
// (Shutdown) those still in their handshake, fronted or drained.
//
// A context.AfterFunc per connection did this before, one on each
// context: three allocations apiece and a lock of the parent context's
// mutex to add and another to stop. A connection now costs two pointers
// and three short locks of this one mutex (add, authenticated, remove).
type liveConns struct {
	mu   sync.Mutex
	head *connScope
	// closed records that closeAll or closeHandshakes ran (the stop ends
	// the drain's context too): a connection added afterwards is closed
	// at once, as an AfterFunc of a done context runs at once, and none
	// authenticates.
	closed bool
}

// add registers c, in its handshake, or closes its connection when the
// proxy is past the point where it would be closed.
func (l *liveConns) add(c *connScope) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.handshaking = true
	if l.closed {
		_ = c.conn.Close()
	}
	c.next = l.head
	if l.head != nil {
		l.head.prev = c
	}
	l.head = c
}

// authenticated takes c out of the handshakes closeHandshakes closes. It
// returns false when closeHandshakes ran first: c's connection is closed.
func (l *liveConns) authenticated(c *connScope) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	c.handshaking = false
	return true
}

// remove unregisters c, once its connection is closed.
func (l *liveConns) remove(c *connScope) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.prev != nil {
		c.prev.next = c.next
	} else if l.head == c {
		l.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
}

// closeAll closes every connection (the proxy's context is done).
func (l *liveConns) closeAll() { l.close(true) }

// closeHandshakes closes the connections still in their handshake (the
// drain began).
func (l *liveConns) closeHandshakes() { l.close(false) }

func (l *liveConns) close(all bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for c := l.head; c != nil; c = c.next {
		if all || c.handshaking {
			_ = c.conn.Close()
		}
	}
}
