package proxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// watchless is an Upstream that relies on ClosesWith as the middle and
// direct upstreams do: it reports what ClosesWith says of the contexts it
// is shown, then reads the client, registering no watch of ctx of its
// own, until the read fails.
type watchless chan [3]bool

func (w watchless) Serve(ctx context.Context, s *proxy.Session) error {
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	valued := context.WithValue(ctx, watchless(nil), 1)
	w <- [3]bool{s.Client.ClosesWith(ctx), s.Client.ClosesWith(valued),
		s.Client.ClosesWith(derived) || s.Client.ClosesWith(context.Background())}
	_, err := s.Client.Read(make([]byte, 64))
	return err
}

// The engine closes an authenticated client when the context it gave
// Upstream.Serve ends (ClosesWith is true for it and for contexts with
// the same end, false for any other), so an upstream that only reads the
// client ends at Close without a watch of its own.
func TestClosesWith(t *testing.T) {
	up := make(watchless, 1)
	f := newFixture(t, with(func(o *proxy.Options) { o.Upstream = up }))
	c := f.dial(f.clientOpts(client.Intermediate, 0, 2))
	defer c.Close()
	var got [3]bool
	select {
	case got = <-up:
	case <-time.After(eventWait):
		t.Fatal("no session reached the upstream")
	}
	if got != [3]bool{true, true, false} {
		t.Fatalf("ClosesWith(session ctx, its value child, a cancellable child or Background) = %v, want [true true false]", got)
	}
	if err := f.px.Close(); err != nil { // waits for every connection: a hang fails the test's deadline
		t.Fatal(err)
	}
	if ev := f.rec.snapshot(); len(ev.Closed) != 1 {
		t.Fatalf("closed %d connections, want 1", len(ev.Closed))
	}
}
