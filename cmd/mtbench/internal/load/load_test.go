package load

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/secret"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/testkit/badpeer"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

func checkClean(t *testing.T, r *report.Report, wantOK int) {
	t.Helper()
	if r.OK != wantOK || r.Failed != 0 {
		t.Fatalf("ok %d failed %d (want %d ok): %v", r.OK, r.Failed, wantOK, r.Errors)
	}
	if r.Proxy == nil || r.Proxy.PID == 0 || r.Proxy.Before.RSS <= 0 || r.Proxy.After.RSS <= 0 ||
		r.Proxy.PeakRSS < r.Proxy.After.RSS || r.Proxy.CPU < 0 {
		t.Errorf("proxy usage not observed: %+v", r.Proxy)
	}
	if len(r.CPUBusy) == 0 {
		t.Error("machine CPU use not observed")
	}
	for _, f := range r.CPUBusy {
		if f < 0 || f > 1 {
			t.Errorf("CPU busy fraction %v", r.CPUBusy)
		}
	}
}

// Every transfer direction through the real proxy engine, in FakeTLS and
// obfuscated2 (dd), counts exactly the bytes asked for, verified.
func TestTransferThroughProxy(t *testing.T) {
	addr := startProxy(t, fakedc.Raw)
	for _, mode := range []client.Mode{client.FakeTLS, client.Padded} {
		for _, dir := range []Direction{Up, Down, Both} {
			t.Run(ModeName(mode)+"/"+dir.String(), func(t *testing.T) {
				cfg := baseConfig(addr, Transfer)
				cfg.Mode, cfg.Direction, cfg.Ramp = mode, dir, 20*time.Millisecond
				cfg.Bytes = 3<<20 + 7 // not a multiple of the chunk
				r, err := Run(ctxT(t), cfg)
				if err != nil {
					t.Fatal(err)
				}
				checkClean(t, r, cfg.Conns)
				var up, down int64
				if dir != Down {
					up = int64(cfg.Conns) * cfg.Bytes
				}
				if dir != Up {
					down = int64(cfg.Conns) * cfg.Bytes
				}
				if r.BytesUp != up || r.BytesDown != down {
					t.Errorf("bytes up %d down %d, want %d %d", r.BytesUp, r.BytesDown, up, down)
				}
				if r.Elapsed <= 0 || r.TotalRate <= 0 || r.Latency.Count != cfg.Conns ||
					r.Handshake.Count != cfg.Conns || r.LatencyOf != "transfer time" {
					t.Errorf("report incomplete: %+v", r)
				}
			})
		}
	}
}

// A byte flipped on the way back is caught: downloads and echoes verify
// here, so the report must show failures, not throughput.
func TestTransferCatchesCorruption(t *testing.T) {
	addr := corrupter(t, startProxy(t, fakedc.Raw), 300_000)
	for _, dir := range []Direction{Down, Both} {
		cfg := baseConfig(addr, Transfer)
		cfg.Mode, cfg.Direction, cfg.Conns, cfg.PID = client.Padded, dir, 2, 0
		r, err := Run(ctxT(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK != 0 || r.Failed != 2 || r.Errors["data verification failed"] != 2 {
			t.Errorf("%v: ok %d failed %d errors %v", dir, r.OK, r.Failed, r.Errors)
		}
	}
	// With verification off a download only counts bytes.
	cfg := baseConfig(addr, Transfer)
	cfg.Mode, cfg.Direction, cfg.Conns, cfg.PID, cfg.Verify = client.Padded, Down, 2, 0, false
	r, err := Run(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK != 2 {
		t.Errorf("unverified download failed: %v", r.Errors)
	}
}

func TestEchoThroughProxy(t *testing.T) {
	addr := startProxy(t, fakedc.Packets)
	cfg := baseConfig(addr, Echo)
	cfg.Packet, cfg.Window, cfg.Bytes = 4096, 4, 1<<20+100 // 256 whole packets
	r, err := Run(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, r, cfg.Conns)
	want := int64(cfg.Conns) * 256 * 4096
	if r.BytesUp != want || r.BytesDown != want || r.BytesPerConn != 256*4096 {
		t.Errorf("bytes up %d down %d per conn %d, want %d", r.BytesUp, r.BytesDown, r.BytesPerConn, want)
	}
	if r.Latency.Count != cfg.Conns*256 || r.LatencyOf != "packet round trip" || r.Latency.Min <= 0 {
		t.Errorf("round trips: %s %+v", r.LatencyOf, r.Latency)
	}
}

// An echo run that outlives Duration ends, its connections failed, even
// when each writer waits for room in its window: a server that reads and
// never answers fills every window.
func TestEchoEndsAtDurationWithFullWindows(t *testing.T) {
	silent := badpeer.Start(t, badpeer.Silent)
	cfg := baseConfig(silent.Addr(), Echo)
	cfg.Secret = secret.Secret{Kind: secret.Classic, Key: testSecret.Key}
	cfg.Mode, cfg.Probe, cfg.Verify = client.Padded, ProbeNone, false
	cfg.Packet, cfg.Window, cfg.Bytes, cfg.Duration = 4096, 4, 1<<30, 50*time.Millisecond
	r, err := Run(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK != 0 || r.Failed != cfg.Conns {
		t.Fatalf("ok %d failed %d, want every connection failed at the end of the run", r.OK, r.Failed)
	}
}

func TestHandshakesThroughProxy(t *testing.T) {
	for _, c := range []struct {
		mode  fakedc.Mode
		probe Probe
	}{{fakedc.Packets, ProbeReqPQ}, {fakedc.Raw, ProbeEcho}, {fakedc.Raw, ProbeNone}} {
		t.Run(c.probe.String(), func(t *testing.T) {
			cfg := baseConfig(startProxy(t, c.mode), Handshakes)
			cfg.Count, cfg.Probe = 30, c.probe
			r, err := Run(ctxT(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkClean(t, r, 30)
			if r.Handshake.Count != 30 || r.HandshakeRate <= 0 {
				t.Errorf("handshakes %+v rate %v", r.Handshake, r.HandshakeRate)
			}
		})
	}
}

// A list of secrets is cycled through, one per handshake: with 9
// handshakes over 3 secrets, each authenticates exactly 3 times.
func TestHandshakesCycleThroughSecrets(t *testing.T) {
	list := []secret.Secret{testSecret, testSecret, testSecret}
	list[1].Key[0], list[2].Key[0] = 0xa1, 0xa2
	var seen handshakesBySecret
	addr, _ := startProxyWith(t, fakedc.Packets, &seen, list...)
	cfg := baseConfig(addr, Handshakes)
	cfg.Secrets, cfg.Count, cfg.Conns = list, 9, 2
	r, err := Run(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, r, 9)
	if got := seen.counts(); got != [3]int{3, 3, 3} {
		t.Fatalf("handshakes per secret %v, want 3 each", got)
	}
}

// handshakesBySecret counts the proxy's successful handshakes per secret.
type handshakesBySecret struct {
	proxy.NopObserver
	mu sync.Mutex
	n  [3]int
}

func (h *handshakesBySecret) Handshake(_ context.Context, ev proxy.HandshakeEvent) {
	if ev.Result == proxy.HandshakeOK && ev.Secret >= 0 && ev.Secret < len(h.n) {
		h.mu.Lock()
		h.n[ev.Secret]++
		h.mu.Unlock()
	}
}

func (h *handshakesBySecret) counts() [3]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// The wrong probe for the DC's mode fails loudly instead of passing: a
// reqpq against a Raw DC comes back as an echo, not a resPQ.
func TestProbeMismatchFails(t *testing.T) {
	cfg := baseConfig(startProxy(t, fakedc.Raw), Handshakes)
	cfg.Count, cfg.Probe, cfg.Conns, cfg.PID = 3, ProbeReqPQ, 1, 0
	r, err := Run(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK != 0 || r.Failed != 3 {
		t.Errorf("ok %d failed %d", r.OK, r.Failed)
	}
}

func TestWrongSecretFails(t *testing.T) {
	cfg := baseConfig(startProxy(t, fakedc.Packets), Handshakes)
	cfg.Secret.Key[0] ^= 1
	cfg.Count, cfg.Conns, cfg.PID, cfg.Timeout = 2, 1, 0, 5*time.Second
	r, err := Run(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK != 0 || r.Failed != 2 || r.Errors["FakeTLS server flight rejected (wrong secret or domain?)"] != 2 {
		t.Errorf("ok %d failed %d errors %v", r.OK, r.Failed, r.Errors)
	}
}

func TestIdleHoldsConnections(t *testing.T) {
	addr, d := startProxyDC(t, fakedc.Packets)
	cfg := baseConfig(addr, Idle)
	cfg.Conns, cfg.Hold, cfg.DialParallel = 200, time.Second, 16
	// All 200 must be open at the DC at once while the run holds them.
	ctx, cancel := context.WithCancel(ctxT(t))
	held := make(chan error, 1)
	go func() {
		_, err := d.WaitStats(ctx, func(s fakedc.Stats) bool { return s.Active == 200 })
		held <- err
	}()
	r, err := Run(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-held; err != nil {
		t.Errorf("the DC never saw 200 connections open at once: %v", err)
	}
	checkClean(t, r, 200)
	if r.Handshake.Count != 200 || r.HandshakeRate <= 0 {
		t.Errorf("handshakes %+v", r.Handshake)
	}
	if r.Proxy.RSSPerConn != (r.Proxy.After.RSS-r.Proxy.Before.RSS)/200 {
		t.Errorf("per conn %d from %+v", r.Proxy.RSSPerConn, r.Proxy)
	}
}
