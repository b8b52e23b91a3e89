package redisstate

import (
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/redisserver"
)

// BenchmarkReplaySeen is what a handshake pays for the shared replay
// check: one SET NX PX round trip to a local redis-server.
func BenchmarkReplaySeen(b *testing.B) {
	srv := redisserver.Start(b, redisserver.Options{})
	c, err := ParseURL(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	s := New(c, Options{Timeout: time.Second})
	b.Cleanup(func() { _ = s.Close() })
	now := time.Now()
	exp := now.Add(4 * time.Minute)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if s.Replay().Seen(key(i), now, exp) {
			b.Fatal("a fresh digest seen")
		}
	}
}

// BenchmarkLeasesOpen is what an admission of a user with limits pays:
// the Lua check-and-take round trip (and the close, written back in the
// background, not measured).
func BenchmarkLeasesOpen(b *testing.B) {
	srv := redisserver.Start(b, redisserver.Options{})
	c, err := ParseURL(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	s := New(c, Options{Timeout: time.Second})
	b.Cleanup(func() { _ = s.Close() })
	s.heartbeat()
	from := netip.MustParsePrefix("192.0.2.1/32")
	b.ReportAllocs()
	for b.Loop() {
		if v := s.Leases().Open("alice", from, 1<<30, 0); v != Admitted {
			b.Fatal(v)
		}
		s.Leases().Close("alice", from)
	}
}
