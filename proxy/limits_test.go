package proxy_test

import (
	"context"
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// MaxConnections counts authenticated connections: a socket still in its
// handshake takes no slot (unauthenticated ones have limits of their
// own), a client authenticating over the limit is closed, unanswered, and
// reported as rejected, and a freed slot admits the next client.
func TestConnectionLimit(t *testing.T) {
	f := newFixture(t, with(func(o *proxy.Options) { o.MaxConnections = 2 }))
	if got := f.px.MaxConnections(); got != 2 {
		t.Fatalf("MaxConnections() = %d", got)
	}
	relayed := f.dial(f.clientOpts(client.Intermediate, 0, 2))
	if _, err := relayed.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	pending := f.connect() // in its handshake, sending nothing: no slot
	f.rec.wait(t, "2 accepted connections", func(e events) bool { return e.Accepted == 2 })
	second := f.dial(f.clientOpts(client.Padded, 1, 2))
	if _, err := second.ReqPQ(bounded(t)); err != nil {
		t.Fatalf("a second client with one handshake pending: %v", err)
	}

	over := f.connect()
	if _, err := over.Write(newHandshake(t, f.clientOpts(client.Intermediate, 0, 2)).Header[:]); err != nil {
		t.Fatal(err)
	}
	if got := readToEnd(t, over); len(got) != 0 {
		t.Fatalf("a rejected client got %d bytes", len(got))
	}
	ev := f.rec.waitClosed(t, 1)
	overClosed := proxy.CloseEvent{Protocol: proxy.ProtoIntermediate, Secret: 0, DC: 2, Authenticated: true, Stage: proxy.StageAuthenticated}
	if ev.Accepted != 4 || len(ev.Rejected) != 1 || ev.Rejected[0] != proxy.RejectLimit ||
		len(ev.Closed) != 1 || ev.Closed[0] != overClosed || len(ev.Handshakes) != 3 {
		t.Fatalf("events %s; want the third client rejected for the limit once authenticated", ev)
	}
	if got := f.px.ActiveConnections(); got != 3 {
		t.Fatalf("ActiveConnections() = %d, want 3 (two clients, one handshake)", got)
	}

	_ = second.Close()
	f.rec.waitClosed(t, 2)
	next := f.dial(f.clientOpts(client.Padded, 1, 2))
	if _, err := next.ReqPQ(bounded(t)); err != nil {
		t.Fatalf("a client after a slot was freed: %v", err)
	}
	if _, err := relayed.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	if ev := f.rec.snapshot(); ev.Accepted != 5 || len(ev.Rejected) != 1 {
		t.Fatalf("events %s", ev)
	}

	_ = pending.Close()
	_ = relayed.Close()
	_ = next.Close()
	if err := f.px.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.px.ActiveConnections(); got != 0 {
		t.Fatalf("ActiveConnections() = %d after every client left", got)
	}
	if ev := f.rec.snapshot(); len(ev.Closed) != 5 {
		t.Fatalf("events %s", ev)
	}
}
