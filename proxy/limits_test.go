package proxy_test

import (
	"context"
	"testing"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// MaxConnections counts every open connection, authenticated or still in
// its handshake; one over it is closed at once, unread and unanswered,
// and reported as rejected; a freed slot admits the next client.
func TestConnectionLimit(t *testing.T) {
	f := newFixture(t, with(func(o *proxy.Options) { o.MaxConnections = 2 }))
	if got := f.px.MaxConnections(); got != 2 {
		t.Fatalf("MaxConnections() = %d", got)
	}
	relayed := f.dial(f.clientOpts(client.Intermediate, 0, 2))
	if _, err := relayed.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	pending := f.connect() // in its handshake, sending nothing
	f.rec.wait(t, "2 accepted connections", func(e events) bool { return e.Accepted == 2 })

	over := f.connect()
	if _, err := over.Write(newHandshake(t, f.clientOpts(client.Intermediate, 0, 2)).Header[:]); err != nil {
		t.Fatal(err)
	}
	if got := readToEnd(t, over); len(got) != 0 {
		t.Fatalf("a rejected client got %d bytes", len(got))
	}
	ev := f.rec.waitClosed(t, 1)
	if ev.Accepted != 3 || len(ev.Rejected) != 1 || ev.Rejected[0] != proxy.RejectLimit ||
		len(ev.Closed) != 1 || ev.Closed[0] != (proxy.CloseEvent{Secret: -1}) || len(ev.Handshakes) != 1 {
		t.Fatalf("events %s; want the third connection rejected for the limit, nothing read from it", ev)
	}
	if got := f.px.ActiveConnections(); got != 2 {
		t.Fatalf("ActiveConnections() = %d, want 2", got)
	}

	_ = pending.Close()
	ev = f.rec.waitClosed(t, 2)
	if hs := ev.Handshakes[1]; hs.Result != proxy.HandshakeClosed {
		t.Fatalf("the pending client's handshake: %+v", hs)
	}
	next := f.dial(f.clientOpts(client.Padded, 1, 2))
	if _, err := next.ReqPQ(bounded(t)); err != nil {
		t.Fatalf("a client after a slot was freed: %v", err)
	}
	if _, err := relayed.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	ev = f.rec.snapshot()
	if ev.Accepted != 4 || len(ev.Rejected) != 1 {
		t.Fatalf("events %s", ev)
	}

	_ = relayed.Close()
	_ = next.Close()
	if err := f.px.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.px.ActiveConnections(); got != 0 {
		t.Fatalf("ActiveConnections() = %d after every client left", got)
	}
	if ev := f.rec.snapshot(); len(ev.Closed) != 4 || !ev.Closed[2].Authenticated || !ev.Closed[3].Authenticated {
		t.Fatalf("events %s", ev)
	}
}
