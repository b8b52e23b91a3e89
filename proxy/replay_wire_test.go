package proxy_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/replay"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

var wireKey = [16]byte{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3}

// serveFakeTLS runs a FakeTLS proxy in front of a fake DC with the given
// replay cache (nil: its own) and returns its address.
func serveFakeTLS(t *testing.T, cache *replay.Cache, edit func(*proxy.Options)) string {
	t.Helper()
	d := fakedc.Start(t, fakedc.Options{})
	table := dc.Builtin().WithOverrides(map[int][]netip.AddrPort{2: {netip.MustParseAddrPort(d.Addr())}})
	o := proxy.Options{
		Secrets:     []proxy.Secret{{Key: wireKey}},
		Upstream:    direct.New(direct.Options{Table: table}),
		TLSDomain:   "example.com",
		ReplayCache: cache,
		// Failed hellos are fronted to a closed loopback port, never to
		// the real example.com.
		FrontingAddr: "127.0.0.1:1",
	}
	if edit != nil {
		edit(&o)
	}
	_, addr := serveOptions(t, o)
	return addr
}

// handshakeFrom builds the same FakeTLS handshake for every call with the
// same seed, so a test can replay one.
func handshakeFrom(t *testing.T, seed byte, ts time.Time) (*client.Handshake, client.Options) {
	t.Helper()
	o := client.Options{Secret: wireKey, Mode: client.FakeTLS, Domain: "example.com", DC: 2,
		Timestamp: ts, Rand: rand.NewChaCha8([32]byte{seed})}
	h, err := client.NewHandshake(o)
	if err != nil {
		t.Fatal(err)
	}
	return h, o
}

func tryHandshake(t *testing.T, addr string, h *client.Handshake, o client.Options) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialHandshake(ctx, addr, h, o)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.ReqPQ(ctx)
	return err
}

// A hello accepted by one proxy, whose replay cache is saved and read
// back by the next (a restart), is refused there as a replay.
func TestReplayCacheSurvivesRestart(t *testing.T) {
	first := replay.New(1024)
	now := time.Now()
	h, o := handshakeFrom(t, 1, now)
	if err := tryHandshake(t, serveFakeTLS(t, first, nil), h, o); err != nil {
		t.Fatalf("first use: %v", err)
	}
	var saved bytes.Buffer
	if err := first.Save(&saved, time.Now()); err != nil {
		t.Fatal(err)
	}
	second, err := replay.Read(&saved, 1024, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	restarted := serveFakeTLS(t, second, nil)
	h, o = handshakeFrom(t, 1, now)
	if err := tryHandshake(t, restarted, h, o); err == nil {
		t.Fatal("the replayed hello was accepted after the restart")
	}
	// A fresh hello still works.
	h, o = handshakeFrom(t, 2, time.Now())
	if err := tryHandshake(t, restarted, h, o); err != nil {
		t.Fatalf("fresh hello after the restart: %v", err)
	}
}

// An uptime timestamp beyond the proxy's uptime plus the skew is refused
// (it was accepted whatever its value); one within is accepted unless
// uptime timestamps are disabled.
func TestUptimeTimestampsBounded(t *testing.T) {
	addr := serveFakeTLS(t, nil, nil)
	h, o := handshakeFrom(t, 3, time.Unix(3*86400, 0))
	if err := tryHandshake(t, addr, h, o); err == nil {
		t.Fatal("an uptime of 3 days was accepted by a proxy up for seconds")
	}
	h, o = handshakeFrom(t, 4, time.Unix(30, 0))
	if err := tryHandshake(t, addr, h, o); err != nil {
		t.Fatalf("an uptime of 30 s (within the 2 min skew): %v", err)
	}
	strict := serveFakeTLS(t, nil, func(o *proxy.Options) { o.DisableUptimeTimestamps = true })
	h, o = handshakeFrom(t, 5, time.Unix(30, 0))
	if err := tryHandshake(t, strict, h, o); err == nil {
		t.Fatal("an uptime timestamp was accepted with DisableUptimeTimestamps")
	}
}
