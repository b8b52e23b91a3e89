package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// handshakes is an Observer that passes handshake results on; embedding
// NopObserver leaves every other event ignored.
type handshakes struct {
	proxy.NopObserver
	ch chan proxy.HandshakeEvent
}

func (h handshakes) Handshake(_ context.Context, ev proxy.HandshakeEvent) { h.ch <- ev }

// A proxy in direct mode on loopback, in front of a fake Telegram DC: New
// with one secret, Serve on a listener, one client session, then a
// graceful Shutdown.
func Example() {
	// The fake DC stands in for Telegram: the direct upstream dials it for
	// every DC id.
	telegram, err := fakedc.New(fakedc.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer telegram.Close()
	at := netip.MustParseAddrPort(telegram.Addr())
	table := dc.New(map[int][]netip.AddrPort{1: {at}, 2: {at}, 3: {at}, 4: {at}, 5: {at}})

	secret := [16]byte{0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0}
	obs := handshakes{ch: make(chan proxy.HandshakeEvent, 1)}
	px, err := proxy.New(proxy.Options{
		Secrets:  []proxy.Secret{{Name: "example", Key: secret}},
		Upstream: direct.New(direct.Options{Table: table}),
		Observer: obs,
	})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- px.Serve(ln) }()

	// A client with the secret, speaking intermediate framing to DC 2.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ln.Addr().String(), client.Options{Secret: secret, Mode: client.Intermediate, DC: 2})
	if err != nil {
		log.Fatal(err)
	}
	ev := <-obs.ch
	fmt.Println("handshake:", ev.Protocol, ev.Result, "secret", ev.Secret, "DC", ev.DC)
	res, err := c.ReqPQ(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("the DC answered req_pq_multi: pq %#x\n", res.PQ)
	c.Close()

	// Shutdown stops accepting at once and waits for open connections
	// until ctx is done.
	if err := px.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("Serve:", <-served)
	// Output:
	// handshake: intermediate ok secret 0 DC 2
	// the DC answered req_pq_multi: pq 0x17ed48941a08f981
	// Serve: proxy: server closed
}

// New checks the options and fills in defaults; these are the
// configuration errors it returns.
func ExampleNew() {
	_, err := proxy.New(proxy.Options{})
	fmt.Println(err)
	_, err = proxy.New(proxy.Options{Secrets: make([]proxy.Secret, proxy.MaxSecrets+1)})
	fmt.Println(err)
	_, err = proxy.New(proxy.Options{Secrets: make([]proxy.Secret, 1), TLSOnly: true})
	fmt.Println(errors.Is(err, proxy.ErrTLSOnly))

	px, err := proxy.New(proxy.Options{Secrets: make([]proxy.Secret, 1), Upstream: direct.New(direct.Options{})})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("connection limit:", px.MaxConnections())
	// Output:
	// proxy: at least one secret is required
	// proxy: at most 16 secrets are accepted
	// true
	// connection limit: 60000
}

// held is an Upstream that keeps every client it is handed until the
// engine cancels it, saying when it has one.
type held chan struct{}

func (h held) Serve(ctx context.Context, s *proxy.Session) error {
	h <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// Shutdown with a deadline: connections still open when it passes are
// closed, and Shutdown reports how many were still open, with the
// context's error, once they have ended.
// (Close is the hard stop: it closes them without waiting at all.)
func ExampleProxy_Shutdown() {
	secret := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	upstream := make(held, 1)
	px, err := proxy.New(proxy.Options{Secrets: []proxy.Secret{{Key: secret}}, Upstream: upstream})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go px.Serve(ln)

	// A client that authenticates and stays.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ln.Addr().String(), client.Options{Secret: secret, Mode: client.Padded, DC: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-upstream
	fmt.Println("open connections:", px.ActiveConnections())

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = px.Shutdown(ctx)
	var de *proxy.DrainError
	fmt.Println("Shutdown:", err, errors.Is(err, context.DeadlineExceeded), errors.As(err, &de) && de.Open == 1)
	fmt.Println("open connections:", px.ActiveConnections())
	// Output:
	// open connections: 1
	// Shutdown: proxy: drain cut short with 1 connections open: context deadline exceeded true true
	// open connections: 0
}
