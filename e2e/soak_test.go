package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// The soak test runs hundreds of clients through the binary, in direct and
// in middle mode, while the fake DC or the fake middle proxy dies and
// comes back at random. Every byte of every answer is checked; every
// client session either completes or ends with a clean close (never a
// hang, never a corrupted byte); the proxy's goroutines come back to
// their count before the load, and its resident memory stays bounded. It
// is off by default: MTPROXY_SOAK=1 turns it on, MTPROXY_SOAK_DURATION
// (default 60s) is the load's duration per mode and MTPROXY_SOAK_CLIENTS
// (default 200) the concurrent clients.

const soakMaxRSS = 256 << 20

type soakConfig struct {
	duration time.Duration
	clients  int
}

func soakSettings(t *testing.T) soakConfig {
	if os.Getenv("MTPROXY_SOAK") == "" {
		t.Skip("soak test: set MTPROXY_SOAK=1 (MTPROXY_SOAK_DURATION, MTPROXY_SOAK_CLIENTS)")
	}
	c := soakConfig{duration: time.Minute, clients: 200}
	if s := os.Getenv("MTPROXY_SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("MTPROXY_SOAK_DURATION=%q: want a duration such as 90s", s)
		}
		c.duration = d
	}
	if s := os.Getenv("MTPROXY_SOAK_CLIENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("MTPROXY_SOAK_CLIENTS=%q: want a positive number", s)
		}
		c.clients = n
	}
	return c
}

// soakTally counts what the clients saw.
type soakTally struct {
	sessions, completed, closed, corrupted atomic.Int64
	packets, bytes                         atomic.Int64
	mu                                     sync.Mutex
	failures                               []string
}

func (s *soakTally) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) < 20 {
		s.failures = append(s.failures, fmt.Sprintf(format, args...))
	}
}

// cleanEnd tells a connection the proxy closed (EOF, reset, refused) from
// one left hanging (a timeout).
func cleanEnd(err error) bool {
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout()) && !errors.Is(err, context.DeadlineExceeded)
}

// soakPacket is a packet that looks encrypted to the middle layer (a
// non-zero auth_key_id, at least 56 bytes, a multiple of 4).
func soakPacket(rnd *rand.Rand) []byte {
	p := make([]byte, 56+4*rnd.IntN(4096))
	for i := range p {
		p[i] = byte(rnd.Uint32())
	}
	p[0] |= 1
	return p
}

// soakClient runs sessions until end: dial in a random mode, exchange a
// few packets of random sizes checking every byte, close.
func soakClient(addr string, secret [16]byte, id int, end time.Time, tally *soakTally) {
	rnd := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	modes := []client.Mode{client.Abridged, client.Intermediate, client.Padded, client.FakeTLS}
	for time.Now().Before(end) {
		tally.sessions.Add(1)
		o := client.Options{Secret: secret, Mode: modes[rnd.IntN(len(modes))], DC: 2, Domain: frontDomain}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := client.Dial(ctx, addr, o)
		cancel()
		if err != nil {
			if !cleanEnd(err) {
				tally.fail("client %d: %s handshake hung: %v", id, o.Mode, err)
			}
			tally.closed.Add(1)
			continue
		}
		ok := true
		for k, n := 0, 1+rnd.IntN(8); k < n && ok; k++ {
			p := soakPacket(rnd)
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			err := c.WritePacket(p, false)
			var got client.Packet
			if err == nil {
				got, err = c.ReadPacket()
			}
			switch {
			case err != nil:
				if !cleanEnd(err) {
					tally.fail("client %d: %s session hung: %v", id, o.Mode, err)
				}
				tally.closed.Add(1)
				ok = false
			case !bytes.Equal(got.Data, p):
				tally.fail("client %d: %s answer corrupted: %d bytes back for %d", id, o.Mode, len(got.Data), len(p))
				tally.corrupted.Add(1)
				ok = false
			default:
				tally.packets.Add(1)
				tally.bytes.Add(int64(len(p)))
			}
		}
		if ok {
			tally.completed.Add(1)
		}
		c.Close()
	}
}

// rss is the process's resident set in bytes, from /proc.
func rss(t *testing.T, pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// runSoak loads p with cfg.clients clients for cfg.duration while chaos
// kills and revives the upstream, then checks and reports.
func runSoak(t *testing.T, p *proc, secret [16]byte, cfg soakConfig, chaos func(stop <-chan struct{}) int) {
	// A first exchange warms every pool before the goroutines are counted.
	warm := &soakTally{}
	soakClient(p.addr(), secret, -1, time.Now().Add(time.Second), warm)
	goroutines := func() float64 {
		v, ok := metric(t, p, "go_goroutines", nil)
		if !ok {
			t.Fatal("no go_goroutines on /metrics")
		}
		return v
	}
	before := goroutines()

	tally := &soakTally{}
	stop := make(chan struct{})
	deaths := make(chan int, 1)
	go func() { deaths <- chaos(stop) }()
	var maxRSS atomic.Int64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for tick := time.NewTicker(200 * time.Millisecond); ; {
			select {
			case <-stop:
				tick.Stop()
				return
			case <-tick.C:
				if r := rss(t, p.cmd.Process.Pid); r > maxRSS.Load() {
					maxRSS.Store(r)
				}
			}
		}
	}()
	end := time.Now().Add(cfg.duration)
	var wg sync.WaitGroup
	for i := range cfg.clients {
		wg.Go(func() { soakClient(p.addr(), secret, i, end, tally) })
	}
	wg.Wait()
	close(stop)
	killed := <-deaths
	<-sampled
	running(t, p)

	// The upstream is back: a last round must complete.
	final := &soakTally{}
	deadline := time.Now().Add(30 * time.Second)
	for final.completed.Load() == 0 && time.Now().Before(deadline) {
		soakClient(p.addr(), secret, -2, time.Now().Add(100*time.Millisecond), final)
	}
	if final.completed.Load() == 0 {
		t.Error("no session completed once the upstream was back")
	}
	var after float64
	for deadline := time.Now().Add(30 * time.Second); ; {
		if after = goroutines(); after <= before {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines %v before the load, %v after it: a leak", before, after)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("soak %s: %d clients for %v, upstream killed %d times: %d sessions, %d completed, %d closed cleanly, "+
		"%d packets (%d MiB) checked byte for byte; max RSS %d MiB; goroutines %v before, %v after",
		t.Name(), cfg.clients, cfg.duration, killed, tally.sessions.Load(), tally.completed.Load(), tally.closed.Load(),
		tally.packets.Load(), tally.bytes.Load()>>20, maxRSS.Load()>>20, before, after)
	for _, f := range tally.failures {
		t.Error(f)
	}
	if n := tally.completed.Load() + tally.closed.Load() + tally.corrupted.Load(); tally.completed.Load() == 0 || n != tally.sessions.Load() {
		t.Errorf("sessions %d: %d completed, %d closed, %d corrupted", tally.sessions.Load(), tally.completed.Load(), tally.closed.Load(), tally.corrupted.Load())
	}
	if maxRSS.Load() > soakMaxRSS {
		t.Errorf("resident memory peaked at %d MiB, bound %d MiB", maxRSS.Load()>>20, soakMaxRSS>>20)
	}
}

// chaosLoop calls kill, waits, calls revive, at random intervals, until
// stop; it returns how many times it killed.
func chaosLoop(stop <-chan struct{}, kill, revive func()) int {
	rnd := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	n := 0
	for {
		select {
		case <-stop:
			return n
		case <-time.After(time.Duration(1000+rnd.IntN(3000)) * time.Millisecond):
		}
		kill()
		n++
		select {
		case <-stop:
		case <-time.After(time.Duration(200+rnd.IntN(1500)) * time.Millisecond):
		}
		revive()
	}
}

func TestSoakDirect(t *testing.T) {
	cfg := soakSettings(t)
	dcAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	newDC := func() *fakedc.DC {
		d, err := fakedc.New(fakedc.Options{ListenAddr: dcAddr, ForgetClosed: true})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var mu sync.Mutex
	d := newDC()
	t.Cleanup(func() { mu.Lock(); d.Close(); mu.Unlock() })
	env := baseEnv(t)
	env["SECRET"] = secret1Hex
	useFakeDC(env, d)
	env["TLS_DOMAIN"], env["FRONTING_ADDR"] = frontDomain, "127.0.0.1:1"
	p := start(t, env)
	p.waitReady()
	runSoak(t, p, key(t, secret1Hex), cfg, func(stop <-chan struct{}) int {
		return chaosLoop(stop,
			func() { mu.Lock(); d.Close(); mu.Unlock() },
			func() { mu.Lock(); d = newDC(); mu.Unlock() })
	})
}

func TestSoakMiddle(t *testing.T) {
	cfg := soakSettings(t)
	r := newMiddleRig(t)
	addr := r.mid.Addr().String()
	var mu sync.Mutex
	mid := r.mid
	t.Cleanup(func() { mu.Lock(); mid.Close(); mu.Unlock() })
	r.env["TLS_DOMAIN"], r.env["FRONTING_ADDR"] = frontDomain, "127.0.0.1:1"
	p := start(t, r.env)
	p.waitReady()
	runSoak(t, p, r.secret, cfg, func(stop <-chan struct{}) int {
		return chaosLoop(stop,
			func() { mu.Lock(); mid.Close(); mu.Unlock() },
			func() {
				m, err := fakemiddle.New(fakemiddle.Options{Secret: r.pxs, Addr: addr})
				if err != nil {
					t.Errorf("reviving the middle proxy: %v", err)
					return
				}
				mu.Lock()
				mid = m
				mu.Unlock()
			})
	})
}
