package users

import (
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"
)

// clock is an injectable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(s string) *clock {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &clock{t: t}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func key(i int) [16]byte { return [16]byte{0xaa, byte(i), byte(i >> 8), byte(i >> 16)} }

func user(name string, i int) Spec { return Spec{Name: name, Key: key(i), Enabled: true} }

func manyUsers(n int) []Spec {
	specs := make([]Spec, n)
	for i := range specs {
		specs[i] = user("u"+strconv.Itoa(i), i)
	}
	return specs
}

// index finds the snapshot index of a key, as a handshake would.
func index(t *testing.T, s *Snapshot, k [16]byte) int {
	t.Helper()
	for i, x := range s.Keys() {
		if x == k {
			return i
		}
	}
	t.Fatalf("key %x not in the snapshot", k[:4])
	return -1
}

func admit(t *testing.T, r *Registry, k [16]byte, addr string) (*Lease, Reason) {
	t.Helper()
	s := r.Snapshot()
	return r.Admit(s, index(t, s, k), netip.MustParseAddr(addr))
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: not closed within 30s", what)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
