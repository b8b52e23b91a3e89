package proxy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// holdingFront accepts fronted clients, reports each on the channel and
// holds it open (reading) until the proxy closes its side.
func holdingFront(t *testing.T) (addr string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ch <- struct{}{}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	return ln.Addr().String(), ch
}

// waitClosed fails the test unless the proxy closes c within the deadline.
func waitClosed(t *testing.T, what string, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: not closed by the proxy: %v", what, err)
	}
}

// On Shutdown the sockets that never authenticated (one silent in its
// handshake, one spliced to the fronting host) are closed at once; an
// authenticated client keeps working during the drain; when the drain's
// context ends the error counts the connections that were still open.
func TestShutdownDrainsOnlyAuthenticated(t *testing.T) {
	d := fakedc.Start(t, fakedc.Options{})
	table := dc.Builtin().WithOverrides(map[int][]netip.AddrPort{2: {netip.MustParseAddrPort(d.Addr())}})
	front, fronted := holdingFront(t)
	key := [16]byte{7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	px, addr := serveOptions(t, proxy.Options{
		Secrets:   []proxy.Secret{{Key: key}},
		Upstream:  direct.New(direct.Options{Table: table}),
		TLSDomain: "example.com", TLSOnly: true, FrontingAddr: front,
		HandshakeTimeout: time.Hour, FrontingTimeout: time.Hour, DrainTimeout: time.Hour,
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	authed, err := client.Dial(ctx, addr, client.Options{Secret: key, Mode: client.FakeTLS, Domain: "example.com", DC: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer authed.Close()
	if _, err := authed.ReqPQ(ctx); err != nil {
		t.Fatal(err)
	}
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	prober, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer prober.Close()
	if _, err := prober.Write([]byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fronted:
	case <-ctx.Done():
		t.Fatal("the prober was not fronted")
	}
	for px.ActiveConnections() != 3 {
		if ctx.Err() != nil {
			t.Fatalf("%d connections open, want 3", px.ActiveConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}

	drainCtx, endDrain := context.WithCancel(context.Background())
	defer endDrain()
	shut := make(chan error, 1)
	go func() { shut <- px.Shutdown(drainCtx) }()
	waitClosed(t, "the socket in its handshake", silent)
	waitClosed(t, "the fronted socket", prober)
	if _, err := authed.ReqPQ(ctx); err != nil {
		t.Fatalf("the authenticated client during the drain: %v", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned while a client was relaying: %v", err)
	default:
	}

	// The closed sockets' goroutines finish on their own time: wait for
	// them, so that the count below is the authenticated client alone.
	for px.ActiveConnections() != 1 {
		if ctx.Err() != nil {
			t.Fatalf("%d connections open, want the authenticated one", px.ActiveConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}
	endDrain()
	err = <-shut
	var de *proxy.DrainError
	if !errors.As(err, &de) || de.Open != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v, want a DrainError with 1 open connection", err)
	}
	waitClosed(t, "the authenticated client after the drain", authed.NetConn())
}
