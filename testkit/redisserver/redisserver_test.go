package redisserver

import (
	"testing"
	"time"
)

// The server answers, stops answering when frozen or killed, and comes
// back on the same port after a restart.
func TestLifecycle(t *testing.T) {
	for _, o := range []Options{{}, {Password: "pw-123"}, {TLS: true, Password: "pw-456"}} {
		s := Start(t, o)
		if err := s.ping(5 * time.Second); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		s.Freeze()
		if err := s.ping(200 * time.Millisecond); err == nil {
			t.Fatalf("%+v: a frozen server answered", o)
		}
		s.Thaw()
		if err := s.ping(5 * time.Second); err != nil {
			t.Fatalf("%+v: after thaw: %v", o, err)
		}
		addr := s.Addr()
		s.Kill()
		if err := s.ping(time.Second); err == nil {
			t.Fatalf("%+v: a killed server answered", o)
		}
		s.Restart()
		if s.Addr() != addr {
			t.Fatalf("restarted on %s, was %s", s.Addr(), addr)
		}
		if err := s.ping(5 * time.Second); err != nil {
			t.Fatalf("%+v: after restart: %v", o, err)
		}
	}
}
