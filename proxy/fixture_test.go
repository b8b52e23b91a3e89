package proxy_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
	"go.uber.org/zap/zaptest"
)

// frontDomain is the TLS_DOMAIN of the fixtures with a fronting site.
const frontDomain = "front.example"

// The fixtures' secrets: index 0 is named, index 1 is not; unknownKey is
// no secret of the proxy.
var (
	secretKeys = [][16]byte{
		{0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f},
		{0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f},
	}
	unknownKey = [16]byte{0xde, 0xad, 0xbe, 0xef}
)

// clockStart is where the fixtures' clock stands: a fixed instant, so
// FakeTLS timestamps and durations are exact.
var clockStart = time.Unix(1_700_000_000, 0)

// clock is an injectable clock for Options.Now: frozen until advanced.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// seededRand is a deterministic randomness source for Options.Rand, safe
// for concurrent use.
type seededRand struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func newSeededRand(seed byte) *seededRand {
	var s [32]byte
	s[0] = seed
	return &seededRand{r: rand.NewChaCha8(s)}
}

func (s *seededRand) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Read(p)
}

// fixture is one engine serving on loopback: a recording Observer, a
// frozen clock, a fake DC behind a direct upstream and, with withFront, a
// TLS site to front failed handshakes to.
type fixture struct {
	t      *testing.T
	px     *proxy.Proxy
	ln     net.Listener
	addr   string
	rec    *recorder
	clock  *clock
	dc     *fakedc.DC
	front  *tlsfront.Front
	served chan error
}

// option edits a fixture's engine options before New.
type option func(*fixture, *proxy.Options)

// withFront starts a TLS site for frontDomain and enables FakeTLS with
// fronting to it.
func withFront(f *fixture, o *proxy.Options) {
	f.front = tlsfront.Start(f.t, frontDomain)
	o.TLSDomain = frontDomain
	o.FrontingAddr = f.front.Addr()
}

// with applies edit to the engine options.
func with(edit func(*proxy.Options)) option {
	return func(_ *fixture, o *proxy.Options) { edit(o) }
}

// newFixture starts an engine and closes it when the test ends; Serve must
// then return ErrServerClosed.
func newFixture(t *testing.T, opts ...option) *fixture {
	t.Helper()
	f := &fixture{
		t:      t,
		rec:    newRecorder(),
		clock:  newClock(clockStart),
		dc:     fakedc.Start(t, fakedc.Options{}),
		served: make(chan error, 1),
	}
	o := proxy.Options{
		Secrets:  []proxy.Secret{{Name: "alice", Key: secretKeys[0]}, {Key: secretKeys[1]}},
		Observer: f.rec,
		Now:      f.clock.Now,
		Logger:   zaptest.NewLogger(t),
	}
	o.Upstream = directTo(f.dc, f.rec)
	for _, opt := range opts {
		opt(f, &o)
	}
	px, err := proxy.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.px, f.ln, f.addr = px, ln, ln.Addr().String()
	go func() { f.served <- px.Serve(ln) }()
	t.Cleanup(func() {
		_ = px.Close()
		_ = ln.Close() // in case Serve never took it: a Shutdown before it started
		if err := f.serveResult(); !errors.Is(err, proxy.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return f
}

// serveResult waits for Serve to return.
func (f *fixture) serveResult() error {
	select {
	case err := <-f.served:
		f.served <- err // for later callers
		return err
	case <-time.After(eventWait):
		f.t.Fatal("Serve did not return")
		return nil
	}
}

// directTo is the direct upstream with every DC at the fake DC, reporting
// its dials to obs.
func directTo(d *fakedc.DC, obs direct.Observer) proxy.Upstream {
	at := netip.MustParseAddrPort(d.Addr())
	addrs := map[int][]netip.AddrPort{}
	for id := 1; id <= 5; id++ {
		addrs[id] = []netip.AddrPort{at}
	}
	return direct.New(direct.Options{Table: dc.New(addrs), Observer: obs})
}

// clientOpts are a test client's options for secret index secret (-1: an
// unknown secret), with the fixture's clock as the FakeTLS timestamp.
func (f *fixture) clientOpts(mode client.Mode, secret int, dcID int16) client.Options {
	key := unknownKey
	if secret >= 0 {
		key = secretKeys[secret]
	}
	return client.Options{Secret: key, Mode: mode, DC: dcID, Domain: frontDomain, Timestamp: f.clock.Now()}
}

// dial connects a test client through the engine and closes it when the
// test ends.
func (f *fixture) dial(o client.Options) *client.Conn {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventWait)
	defer cancel()
	c, err := client.Dial(ctx, f.addr, o)
	if err != nil {
		f.t.Fatalf("dial %v: %v", o.Mode, err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	return c
}

// connect opens a bare TCP connection to the engine, closed when the test ends.
func (f *fixture) connect() *net.TCPConn {
	f.t.Helper()
	c, err := net.DialTimeout("tcp", f.addr, eventWait)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = c.Close() })
	return c.(*net.TCPConn)
}

// probe sends payload on a new connection, half-closes it and returns
// everything that comes back until the engine closes.
func (f *fixture) probe(payload []byte) []byte {
	f.t.Helper()
	c := f.connect()
	if _, err := c.Write(payload); err != nil {
		f.t.Fatalf("probe write: %v", err)
	}
	if err := c.CloseWrite(); err != nil {
		f.t.Fatal(err)
	}
	return readToEnd(f.t, c)
}

// readToEnd reads c until the engine closes it (EOF or reset).
func readToEnd(t testing.TB, c net.Conn) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(eventWait))
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the engine did not close the connection within %v", eventWait)
		}
		t.Fatalf("reading until the engine closes: %v", err)
	}
	return got
}

// bounded returns a context for one client exchange.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), eventWait)
	t.Cleanup(cancel)
	return ctx
}

// serveOptions runs an engine made of o on loopback until the test ends and
// returns it with its address.
func serveOptions(t *testing.T, o proxy.Options) (*proxy.Proxy, string) {
	t.Helper()
	px, err := proxy.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go px.Serve(ln)
	t.Cleanup(func() { px.Close() })
	return px, ln.Addr().String()
}
