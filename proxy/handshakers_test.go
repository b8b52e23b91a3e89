package proxy

import (
	"net"
	"testing"
	"time"
)

// A finished handshaker waits for the next connection, the last one to
// wait first; no more than maxIdleHandshakers wait; close ends the
// waiting ones and keeps others from waiting.
func TestHandshakers(t *testing.T) {
	var hs handshakers
	if hs.hand(acceptedConn{}) {
		t.Fatal("a connection handed with no handshaker waiting")
	}
	got := make(chan int, maxIdleHandshakers+1)
	ended := make(chan int, maxIdleHandshakers+1)
	start := func(id int) {
		w := &handshaker{next: make(chan acceptedConn, 1)}
		go func() {
			for {
				if _, ok := hs.wait(w); !ok {
					ended <- id
					return
				}
				got <- id
			}
		}()
	}
	waiting := func() int {
		hs.mu.Lock()
		defer hs.mu.Unlock()
		return len(hs.idle)
	}
	for id := range maxIdleHandshakers + 1 {
		start(id)
		if id < maxIdleHandshakers {
			waitUntil(t, "the handshaker waiting", func() bool { return waiting() == id+1 })
		}
	}
	if id := <-ended; id != maxIdleHandshakers {
		t.Fatalf("handshaker %d ended, want the one over the bound", id)
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	if !hs.hand(acceptedConn{conn: c1}) {
		t.Fatal("not handed with handshakers waiting")
	}
	if id := <-got; id != maxIdleHandshakers-1 {
		t.Fatalf("handshaker %d took it, want the last to wait", id)
	}
	waitUntil(t, "the handshaker waiting again", func() bool { return waiting() == maxIdleHandshakers })
	hs.close()
	for range maxIdleHandshakers {
		<-ended
	}
	start(-1)
	if id := <-ended; id != -1 {
		t.Fatalf("handshaker %d ended, want the one started after close", id)
	}
	if hs.hand(acceptedConn{}) {
		t.Fatal("a connection handed after close")
	}
}

// waitUntil polls cond until it holds; a minute is a hang, not slowness.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}
