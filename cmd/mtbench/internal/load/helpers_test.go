package load

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/secret"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

var testSecret = secret.Secret{
	Kind:   secret.FakeTLS,
	Key:    [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	Domain: "example.com",
}

// closedAddr returns a loopback address nothing listens on, for the
// proxy's fronting target: failed handshakes must not leave the machine.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startProxy runs the real proxy engine in-process, in front of a fake DC
// in the given mode, and returns the proxy's address.
func startProxy(t *testing.T, mode fakedc.Mode) string {
	addr, _ := startProxyDC(t, mode)
	return addr
}

// startProxyDC is startProxy also returning the DC.
func startProxyDC(t *testing.T, mode fakedc.Mode) (string, *fakedc.DC) {
	return startProxyWith(t, mode, proxy.NopObserver{}, testSecret)
}

// startProxyWith is startProxyDC with the proxy's observer and secrets
// (of testSecret's domain).
func startProxyWith(t *testing.T, mode fakedc.Mode, obs proxy.Observer, secrets ...secret.Secret) (string, *fakedc.DC) {
	t.Helper()
	d := fakedc.Start(t, fakedc.Options{Mode: mode, ForgetClosed: true})
	dcAddr := netip.MustParseAddrPort(d.Addr())
	var keys []proxy.Secret
	for _, s := range secrets {
		keys = append(keys, proxy.Secret{Key: s.Key})
	}
	p, err := proxy.New(proxy.Options{
		Secrets:      keys,
		Observer:     obs,
		TLSDomain:    testSecret.Domain,
		FrontingAddr: closedAddr(t),
		DrainTimeout: time.Second,
		Upstream: direct.New(direct.Options{
			Table: dc.New(map[int][]netip.AddrPort{2: {dcAddr}, 4: {dcAddr}}),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ln) }()
	t.Cleanup(func() {
		p.Close()
		if err := <-done; err != nil && !errors.Is(err, proxy.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String(), d
}

// baseConfig is a small run against addr observing this test process,
// which hosts the proxy.
func baseConfig(addr string, w Workload) Config {
	return Config{
		Addr: addr, Secret: testSecret, Mode: client.FakeTLS, Workload: w,
		Conns: 4, Bytes: 1 << 20, Verify: true, Duration: 30 * time.Second,
		PID: os.Getpid(), SampleEvery: 5 * time.Millisecond,
	}
}

// corrupter is a TCP middleman that flips one byte of what the proxy sends
// to the client, at stream offset at, in every connection.
func corrupter(t *testing.T, target string, at int64) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Go(func() { io.Copy(u, c); u.Close() })
			wg.Go(func() {
				defer c.Close()
				buf := make([]byte, 32<<10)
				var off int64
				for {
					n, err := u.Read(buf)
					if at >= off && at < off+int64(n) {
						buf[at-off] ^= 0x40
					}
					off += int64(n)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	return ln.Addr().String()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
