package proxy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// shutdown runs Shutdown(ctx) in the background; its result arrives on
// the returned channel.
func shutdown(px *proxy.Proxy, ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- px.Shutdown(ctx) }()
	return done
}

// receive waits for a result from ch.
func receive(t testing.TB, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(eventWait):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// Shutdown without a deadline closes the listener at once (Serve returns
// ErrServerClosed, new connections are refused) and waits for the open
// clients, which keep working, to leave.
func TestShutdownWaitsForClients(t *testing.T) {
	f := newFixture(t)
	c := f.dial(f.clientOpts(client.Padded, 1, 3))
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	done := shutdown(f.px, context.Background())
	if err := f.serveResult(); !errors.Is(err, proxy.ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if nc, err := net.Dial("tcp", f.addr); err == nil {
		nc.Close()
		t.Fatal("a new connection was accepted during the shutdown")
	}
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatalf("an open client stopped working during the shutdown: %v", err)
	}
	echo(t, c, 4096)
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a client was open", err)
	default:
	}
	_ = c.Close()
	if err := receive(t, done, "Shutdown"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	ev := f.rec.snapshot() // complete: Shutdown waited for every connection
	if ev.Accepted != 1 || len(ev.Rejected) != 0 || len(ev.Closed) != 1 || !ev.Closed[0].Authenticated {
		t.Fatalf("events %s", ev)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := f.px.Serve(ln); !errors.Is(err, proxy.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown returned %v", err)
	}
}

// Shutdown whose context ends closes what is still open, whatever its
// stage (a relay, a handshake, a drain), and returns the context's error
// once every connection has ended.
func TestShutdownDeadline(t *testing.T) {
	f := newFixture(t)
	relayed := f.dial(f.clientOpts(client.Abridged, 0, 2))
	if _, err := relayed.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	f.rec.waitHandshakes(t, 1)
	handshaking := f.connect()
	drained := f.connect()
	if _, err := drained.Write(newHandshake(t, f.clientOpts(client.Abridged, -1, 2)).Header[:]); err != nil {
		t.Fatal(err)
	}
	f.rec.waitHandshakes(t, 2) // the drained one; the other sends nothing
	f.rec.wait(t, "3 accepted connections", func(e events) bool { return e.Accepted == 3 })

	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(500*time.Millisecond))
	defer cancel()
	if err := receive(t, shutdown(f.px, ctx), "Shutdown"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown returned %v, want the context's deadline error", err)
	}
	ev := f.rec.snapshot() // complete: Shutdown waited for every connection
	if ev.Accepted != 3 || len(ev.Closed) != 3 || len(ev.Handshakes) != 3 {
		t.Fatalf("events %s", ev)
	}
	byProto := map[proxy.Protocol]proxy.HandshakeEvent{}
	for _, hs := range ev.Handshakes {
		byProto[hs.Protocol] = hs
	}
	if byProto[proxy.ProtoAbridged].Result != proxy.HandshakeOK {
		t.Fatalf("handshakes %+v", ev.Handshakes)
	}
	closedOne := proxy.HandshakeEvent{Protocol: proxy.ProtoUnknown, Result: proxy.HandshakeClosed, Secret: -1}
	if ev.Handshakes[2] != closedOne {
		t.Fatalf("the client in its handshake ended with %+v, want %+v", ev.Handshakes[2], closedOne)
	}
	drainedEv := proxy.FrontingEvent{Reason: proxy.HandshakeBadSecret, Result: proxy.FrontingDrained, BytesIn: 64}
	if len(ev.Fronting) != 1 || ev.Fronting[0] != drainedEv {
		t.Fatalf("fronting %+v, want [%+v]", ev.Fronting, drainedEv)
	}
	for _, c := range []net.Conn{relayed.NetConn(), handshaking, drained} {
		if got := readToEnd(t, c); len(got) != 0 {
			t.Fatalf("a client got %d bytes at shutdown", len(got))
		}
	}
}

// loopbackPair returns both ends of a loopback TCP connection.
func loopbackPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// lateListener hands Serve the connections sent on conns. Close does not
// interrupt a pending Accept: what is handed afterwards is returned, as a
// real listener may return a connection in the instant it is closed.
type lateListener struct {
	conns      chan net.Conn
	accepting  chan struct{} // closed at the first Accept
	closed     chan struct{}
	acceptOnce sync.Once
	closeOnce  sync.Once
}

func (l *lateListener) Accept() (net.Conn, error) {
	l.acceptOnce.Do(func() { close(l.accepting) })
	if c, ok := <-l.conns; ok {
		return c, nil
	}
	return nil, net.ErrClosed
}

func (l *lateListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

func (l *lateListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// A connection accepted once the shutdown has begun is closed unread and
// reported as rejected for the shutdown.
func TestShutdownRejectsLateConnections(t *testing.T) {
	f := newFixture(t)
	ll := &lateListener{conns: make(chan net.Conn), accepting: make(chan struct{}), closed: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- f.px.Serve(ll) }()
	select {
	case <-ll.accepting:
	case err := <-served:
		t.Fatalf("Serve returned %v", err)
	}

	if err := receive(t, shutdown(f.px, context.Background()), "Shutdown"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ll.closed:
	default:
		t.Fatal("Shutdown returned without closing the listener")
	}
	client, server := loopbackPair(t)
	ll.conns <- server
	close(ll.conns)
	if err := receive(t, served, "Serve"); !errors.Is(err, proxy.ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if got := readToEnd(t, client); len(got) != 0 {
		t.Fatalf("a late client got %d bytes", len(got))
	}
	ev := f.rec.snapshot()
	if ev.Accepted != 1 || len(ev.Rejected) != 1 || ev.Rejected[0] != proxy.RejectShutdown ||
		len(ev.Closed) != 1 || ev.Closed[0] != (proxy.CloseEvent{Secret: -1}) || len(ev.Handshakes) != 0 {
		t.Fatalf("events %s; want one connection rejected for the shutdown", ev)
	}
}

// Close ends every connection at once, whatever its stage (a relay, a
// FakeTLS handshake past the server flight, a fronting splice), and
// returns once all have ended; it can be called again, as can Shutdown.
func TestCloseEndsEverything(t *testing.T) {
	spliced := make(chan struct{}, 1)
	site := rawSite(t, func(c net.Conn) {
		if _, err := io.ReadFull(c, make([]byte, 64)); err == nil { // the replayed header: the splice is up
			spliced <- struct{}{}
		}
		_, _ = io.Copy(io.Discard, c)
	})
	f := newFixture(t, withFront, with(func(o *proxy.Options) { o.FrontingAddr = site }))
	relayed := f.dial(f.clientOpts(client.FakeTLS, 0, 2))
	if _, err := relayed.ReqPQ(bounded(t)); err != nil {
		t.Fatal(err)
	}
	// Past the flight, the header not sent yet.
	h := newHandshake(t, f.clientOpts(client.FakeTLS, 1, 2))
	midway := f.connect()
	if _, err := midway.Write(h.Hello); err != nil {
		t.Fatal(err)
	}
	_ = midway.SetReadDeadline(time.Now().Add(eventWait))
	if _, err := faketls.ReadServerFlight(midway); err != nil {
		t.Fatal(err)
	}
	fronted := f.connect()
	if _, err := fronted.Write(newHandshake(t, f.clientOpts(client.Intermediate, -1, 2)).Header[:]); err != nil {
		t.Fatal(err)
	}
	select {
	case <-spliced:
	case <-time.After(eventWait):
		t.Fatal("the fronting site got no connection")
	}

	if err := f.px.Close(); err != nil {
		t.Fatal(err)
	}
	ev := f.rec.snapshot() // complete: Close waited for every connection
	if ev.Accepted != 3 || len(ev.Closed) != 3 || len(ev.Handshakes) != 3 || len(ev.Fronting) != 1 {
		t.Fatalf("events %s", ev)
	}
	if fe := ev.Fronting[0]; fe.Reason != proxy.HandshakeBadSecret || fe.Result != proxy.FrontingDone || fe.BytesIn != 64 {
		t.Fatalf("the splice ended with %+v", fe)
	}
	results := map[proxy.HandshakeResult]int{}
	for _, hs := range ev.Handshakes {
		results[hs.Result]++
	}
	if results[proxy.HandshakeOK] != 1 || results[proxy.HandshakeBadSecret] != 1 || results[proxy.HandshakeClosed] != 1 {
		t.Fatalf("handshakes %+v: want the relayed one ok, the fronted one bad_secret, the one midway closed", ev.Handshakes)
	}
	if got := f.px.ActiveConnections(); got != 0 {
		t.Fatalf("ActiveConnections() = %d after Close", got)
	}
	for _, c := range []net.Conn{relayed.NetConn(), midway, fronted} {
		readToEnd(t, c)
	}
	if err := f.serveResult(); !errors.Is(err, proxy.ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if err := f.px.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := f.px.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after Close: %v", err)
	}
}
