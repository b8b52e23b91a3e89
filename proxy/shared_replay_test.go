package proxy_test

import (
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/replay"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// sharedStore is a fleet's replay store in memory: every digest with the
// expiry it was recorded until, and the questions asked.
type sharedStore struct {
	mu      sync.Mutex
	expires map[replay.Key]time.Time
	asked   int
}

func newSharedStore() *sharedStore { return &sharedStore{expires: map[replay.Key]time.Time{}} }

func (s *sharedStore) Seen(k replay.Key, now, expires time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	if exp, ok := s.expires[k]; ok && !now.After(exp) {
		return true
	}
	s.expires[k] = expires
	return false
}

func (s *sharedStore) get() (asked int, expires []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.expires {
		expires = append(expires, e)
	}
	return s.asked, expires
}

func withShared(s *sharedStore) option {
	return with(func(o *proxy.Options) { o.SharedReplay = s; o.TimeSkew = time.Minute })
}

// A handshake accepted by one engine is refused as a replay by another
// that shares the store, and fronted there; the store is asked once per
// new handshake (a replay to the same engine is caught by its own cache)
// and records each until it could not be accepted again.
func TestSharedReplayAcrossEngines(t *testing.T) {
	store := newSharedStore()
	a := newFixture(t, withFront, withShared(store))
	b := newFixture(t, withFront, withShared(store))

	header := newHandshake(t, a.clientOpts(client.Intermediate, 0, 2)).Header[:]
	a.probe(header)
	a.probe(header)
	a.expectResults(proxy.HandshakeOK, proxy.HandshakeReplay)
	b.probe(header)
	b.expectResults(proxy.HandshakeReplay)

	o := a.clientOpts(client.FakeTLS, 1, 2)
	h := newHandshake(t, o)
	a.prime(h, o)
	reply := b.probe(h.Hello)
	b.expectResults(proxy.HandshakeReplay, proxy.HandshakeReplay)
	if len(reply) == 0 || len(b.front.Conns()) == 0 {
		t.Fatal("the replayed hello was not fronted by the second engine")
	}

	asked, expires := store.get()
	if asked != 4 { // a's two new handshakes, b's two replays
		t.Fatalf("the store was asked %d times, want 4", asked)
	}
	want := map[time.Time]bool{
		clockStart.Add(2 * time.Minute):                    true, // the header: 2 x TimeSkew
		o.Timestamp.Truncate(time.Second).Add(time.Minute): true, // the hello: its timestamp + TimeSkew
	}
	for _, e := range expires {
		if !want[e] {
			t.Errorf("recorded until %v; want one of %v", e, want)
		}
	}
}

// Without a shared store nothing changes: the second engine takes the
// handshake.
func TestNoSharedReplay(t *testing.T) {
	a := newFixture(t)
	b := newFixture(t)
	header := newHandshake(t, a.clientOpts(client.Intermediate, 0, 2)).Header[:]
	a.probe(header)
	b.probe(header)
	a.expectResults(proxy.HandshakeOK)
	b.expectResults(proxy.HandshakeOK)
}
