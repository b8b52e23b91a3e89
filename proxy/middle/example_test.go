package middle_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// The middle layer as the engine's Upstream, on loopback: a fake
// core.telegram.org serves the proxy secret and a config listing one fake
// middle proxy for DC 2; Start loads both and connects the pool; the
// engine hands it each authenticated client.
func Example() {
	// Telegram's side: the proxy secret (random binary, as getProxySecret
	// serves), a middle proxy keyed with it, and the files naming it.
	secret := make([]byte, 128)
	for {
		_, _ = rand.Read(secret)
		if _, err := rpc.ParseProxySecret(secret); err == nil {
			break
		}
	}
	mid, err := fakemiddle.New(fakemiddle.Options{Secret: secret})
	if err != nil {
		log.Fatal(err)
	}
	defer mid.Close()
	config := fmt.Sprintf("default 2;\nproxy_for 2 %s;\nproxy_for -2 %s;\n", mid.Addr(), mid.Addr())
	core := fakecore.New(secret, []byte(config), nil)
	defer core.Close()

	m, err := middle.New(middle.Options{
		ProxySecretURL: core.SecretURL(),
		ProxyConfigURL: core.ConfigURL(),
		MinConnections: 1, MaxConnections: 2,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close() // after the engine: it closes the clients it still serves
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		log.Fatal(err)
	}
	if err := m.WaitReady(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("middle proxies of DC 2:", len(m.Targets()[2]))

	key := [16]byte{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90}
	px, err := proxy.New(proxy.Options{Secrets: []proxy.Secret{{Key: key}}, Upstream: m})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go px.Serve(ln)

	c, err := client.Dial(ctx, ln.Addr().String(), client.Options{Secret: key, Mode: client.Intermediate, DC: 2})
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.ReqPQ(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("resPQ through the middle proxy: pq %#x\n", res.PQ)
	c.Close()
	if err := px.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("queries forwarded:", m.Stats().Queries.Forwarded)
	// Output:
	// middle proxies of DC 2: 1
	// resPQ through the middle proxy: pq 0x17ed48941a08f981
	// queries forwarded: 1
}

// New takes explicit options, checks them and does no I/O: nothing is
// downloaded or dialed before Start.
func ExampleNew() {
	_, err := middle.New(middle.Options{MinConnections: 8, MaxConnections: 4})
	fmt.Println(err)
	_, err = middle.New(middle.Options{ExternalIP: netip.MustParseAddr("2001:db8::1")})
	fmt.Println(err)
	_, err = middle.New(middle.Options{ProxyConfigURL: "ftp://core.example/getProxyConfig"})
	fmt.Println(errors.Is(err, middle.ErrURL))

	m, err := middle.New(middle.Options{
		ExternalIP: netip.MustParseAddr("203.0.113.7"), // the public address behind NAT
		NAT:        map[netip.Addr]netip.Addr{netip.MustParseAddr("10.0.0.2"): netip.MustParseAddr("203.0.113.7")},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	fmt.Println("serving before Start:", m.Serve(context.Background(), &proxy.Session{}))
	// Output:
	// middle: MinConnections exceeds MaxConnections: 8 > 4
	// middle: ExternalIP must be IPv4 and ExternalIP6 IPv6
	// true
	// serving before Start: middle: not started
}
