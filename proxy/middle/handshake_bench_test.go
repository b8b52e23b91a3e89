package middle

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
	"go.uber.org/zap"
)

// BenchmarkClientSession is one whole client session in middle mode over
// loopback, as scripts/bench.sh's hs-middle runs it: connect, the padded
// obfuscated2 handshake, one packet through the fake middle proxy and its
// echo back, close. The client and the fakes run in this process too, so
// time per op is not the proxy's alone; allocs per op, read with
// -memprofile, are where this is meant to guide.
func BenchmarkClientSession(b *testing.B) {
	secret := testSecret(b)
	mid, err := fakemiddle.New(fakemiddle.Options{Secret: secret})
	if err != nil {
		b.Fatal(err)
	}
	defer mid.Close()
	core := fakecore.New(secret, configFor(2, []int{2}, []*fakemiddle.Server{mid}), nil)
	defer core.Close()
	dir := b.TempDir()
	m, err := New(Options{
		ProxySecretURL: core.SecretURL(), ProxyConfigURL: core.ConfigURL(),
		ProxySecretFile: filepath.Join(dir, "proxy.secret"), ProxyConfigFile: filepath.Join(dir, "proxy.conf"),
		Logger: zap.NewNop(),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if err := m.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	var key [16]byte
	copy(key[:], secret)
	px, err := proxy.New(proxy.Options{Secrets: []proxy.Secret{{Key: key}}, Upstream: m, Logger: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}
	defer px.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = px.Serve(ln) }()
	p := encPacket(1, 64)
	b.ReportAllocs()
	for b.Loop() {
		c, err := client.Dial(ctx, ln.Addr().String(), client.Options{Secret: key, Mode: client.Padded, DC: 2})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.WritePacket(p, false); err != nil {
			b.Fatal(err)
		}
		if _, err := c.ReadPacket(); err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
}
