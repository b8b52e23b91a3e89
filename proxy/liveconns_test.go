package proxy

import (
	"net"
	"testing"
)

// closeCounter is a net.Conn that counts its closes.
type closeCounter struct {
	net.Conn
	closes int
}

func (c *closeCounter) Close() error { c.closes++; return nil }

// The drain closes the connections still in their handshake, the stop
// all of them; a connection added past either point is closed at once,
// and a removed one is never closed by the list.
func TestLiveConns(t *testing.T) {
	var l liveConns
	scope := func() (*connScope, *closeCounter) {
		cc := &closeCounter{}
		c := &connScope{conn: cc}
		l.add(c)
		return c, cc
	}
	a, ac := scope()
	b, bc := scope()
	gone, gc := scope()
	if !l.authenticated(a) {
		t.Fatal("authenticated before any drain: false")
	}
	l.remove(gone)
	l.closeHandshakes()
	if ac.closes != 0 || bc.closes != 1 || gc.closes != 0 {
		t.Fatalf("after the drain: closes %d %d %d, want 0 1 0", ac.closes, bc.closes, gc.closes)
	}
	if l.authenticated(b) {
		t.Fatal("authenticated after the drain closed it: true")
	}
	late, lc := scope()
	if lc.closes != 1 {
		t.Fatal("a connection added during the drain was not closed")
	}
	l.remove(b)
	l.closeAll()
	if ac.closes != 1 || bc.closes != 1 || lc.closes != 2 || gc.closes != 0 {
		t.Fatalf("after the stop: closes %d %d %d %d, want 1 1 2 0", ac.closes, bc.closes, lc.closes, gc.closes)
	}
	l.remove(a)
	l.remove(late)
	if l.head != nil {
		t.Fatal("the list is not empty once every connection is removed")
	}
}
