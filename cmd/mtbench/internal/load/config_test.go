package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/secret"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{Addr: "127.0.0.1:1", Secret: testSecret, Mode: client.FakeTLS,
		Workload: Handshakes, Conns: 1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.DC != DefaultDC || c.Chunk != DefaultChunk || c.Duration != DefaultDuration ||
		c.Probe != ProbeReqPQ || c.Timeout != DefaultTimeout || c.DialParallel != DefaultDialParallel {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestConfigRejects(t *testing.T) {
	ok := Config{Addr: "127.0.0.1:1", Secret: testSecret, Mode: client.FakeTLS,
		Workload: Transfer, Direction: Up, Conns: 1, Bytes: 1}
	if _, err := ok.withDefaults(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	for name, mut := range map[string]func(*Config){
		"no addr":                func(c *Config) { c.Addr = "" },
		"no secret":              func(c *Config) { c.Secret = secret.Secret{} },
		"no mode":                func(c *Config) { c.Mode = 0 },
		"faketls no sni":         func(c *Config) { c.Secret.Domain = "" },
		"no workload":            func(c *Config) { c.Workload = 0 },
		"zero conns":             func(c *Config) { c.Conns = 0 },
		"too many conns":         func(c *Config) { c.Conns = MaxConns + 1 },
		"too long":               func(c *Config) { c.Duration = MaxDuration + 1 },
		"ramp > duration":        func(c *Config) { c.Duration, c.Ramp = time.Second, 2*time.Second },
		"negative ramp":          func(c *Config) { c.Ramp = -1 },
		"no direction":           func(c *Config) { c.Direction = 0 },
		"zero bytes":             func(c *Config) { c.Bytes = 0 },
		"too many bytes":         func(c *Config) { c.Bytes = MaxBytes + 1 },
		"tiny chunk":             func(c *Config) { c.Chunk = 100 },
		"huge chunk":             func(c *Config) { c.Chunk = 2 << 20 },
		"negative count":         func(c *Config) { c.Count = -1 },
		"hold too long":          func(c *Config) { c.Hold = MaxDuration + 1 },
		"unknown probe":          func(c *Config) { c.Probe = 99 },
		"echo odd packet":        func(c *Config) { c.Workload, c.Packet, c.Bytes = Echo, 6, 100 },
		"echo big packet":        func(c *Config) { c.Workload, c.Packet, c.Bytes = Echo, MaxPacket+4, MaxPacket+4 },
		"echo bytes small":       func(c *Config) { c.Workload, c.Packet, c.Bytes = Echo, 1024, 1000 },
		"echo window":            func(c *Config) { c.Workload, c.Packet, c.Bytes, c.Window = Echo, 4, 4, MaxWindow+1 },
		"secrets not handshakes": func(c *Config) { c.Secrets = []secret.Secret{testSecret} },
		"secrets of another domain": func(c *Config) {
			other := testSecret
			other.Domain = "other.org"
			c.Workload, c.Secrets = Handshakes, []secret.Secret{testSecret, other}
		},
	} {
		c := ok
		mut(&c)
		if _, err := c.withDefaults(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func TestParseNames(t *testing.T) {
	for _, s := range []string{"abridged", "intermediate", "padded", "faketls"} {
		m, err := ParseMode(s)
		if err != nil || ModeName(m) != s {
			t.Errorf("mode %q: %v %v", s, m, err)
		}
	}
	for _, s := range []string{"up", "down", "both"} {
		if d, err := ParseDirection(s); err != nil || d.String() != s {
			t.Errorf("direction %q: %v %v", s, d, err)
		}
	}
	for _, s := range []string{"none", "reqpq", "echo"} {
		if p, err := ParseProbe(s); err != nil || p.String() != s {
			t.Errorf("probe %q: %v %v", s, p, err)
		}
	}
	for _, f := range []func(string) error{
		func(s string) error { _, err := ParseMode(s); return err },
		func(s string) error { _, err := ParseDirection(s); return err },
		func(s string) error { _, err := ParseProbe(s); return err },
	} {
		if err := f("sideways"); !errors.Is(err, ErrConfig) {
			t.Errorf("unknown name accepted: %v", err)
		}
	}
	if Workload(9).String() != "unknown" { // as every enum of the module names a value outside it
		t.Errorf("unknown workload prints %q", Workload(9).String())
	}
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("no such host %q", host)
}

func TestCheckLoopback(t *testing.T) {
	r := fakeResolver{
		"localhost": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
		"mixed":     {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.0.0.1")},
		"empty":     {},
	}
	ctx := context.Background()
	for _, a := range []string{"127.0.0.1:443", "127.5.6.7:1", "[::1]:443", "[::ffff:127.0.0.1]:443", "localhost:443"} {
		if err := CheckLoopback(ctx, r, a); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	for _, a := range []string{"10.0.0.1:443", "[2001:db8::1]:443", "149.154.167.51:443", "0.0.0.0:443", "mixed:443"} {
		if err := CheckLoopback(ctx, r, a); !errors.Is(err, ErrRemote) {
			t.Errorf("%s: err = %v, want ErrRemote", a, err)
		}
	}
	for _, a := range []string{"127.0.0.1", "nowhere:443", "empty:443"} {
		if err := CheckLoopback(ctx, r, a); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", a, err)
		}
	}
}

// Run refuses a remote target before sending anything.
func TestRunRefusesRemote(t *testing.T) {
	_, err := Run(context.Background(), Config{Addr: "192.0.2.1:443", Secret: testSecret,
		Mode: client.FakeTLS, Workload: Handshakes, Conns: 1})
	if !errors.Is(err, ErrRemote) {
		t.Errorf("err = %v, want ErrRemote", err)
	}
}

func TestErrorKind(t *testing.T) {
	for err, want := range map[error]string{
		fmt.Errorf("x: %w", ErrVerify):                     "data verification failed",
		fmt.Errorf("%w: bad hmac", client.ErrServerFlight): "FakeTLS server flight rejected (wrong secret or domain?)",
		fmt.Errorf("dial: %w", syscall.ECONNREFUSED):       "connection refused",
		fmt.Errorf("read: %w", syscall.ECONNRESET):         "connection reset",
		fmt.Errorf("read: %w", io.EOF):                     "closed by the proxy",
		context.DeadlineExceeded:                           "timeout",
		os.ErrDeadlineExceeded:                             "timeout",
		fmt.Errorf("socket: %w", syscall.EMFILE):           "too many open files (raise ulimit -n)",
		errors.New("something else"):                       "something else",
	} {
		if got := errorKind(err); got != want {
			t.Errorf("%v: %q, want %q", err, got, want)
		}
	}
}

// The precomputed pattern agrees with fakedc's reference at every phase.
func TestPatternMatchesFakeDC(t *testing.T) {
	p := newPattern(1000)
	for _, off := range []uint64{0, 1, 250, 251, 252, 1 << 40, 12345678901} {
		b := p.at(off, 1000)
		if i := fakedc.CheckPattern(b, off); i != -1 {
			t.Errorf("offset %d: differs at %d", off, i)
		}
		if !p.check(b, off) || p.check(b, off+1) {
			t.Errorf("offset %d: check disagrees", off)
		}
	}
	// The echo probe must not look like a bulk request to a Raw DC.
	if fakedc.IsBulk(p.at(0, echoProbeLen)) {
		t.Error("the echo probe starts with the bulk magic")
	}
}
