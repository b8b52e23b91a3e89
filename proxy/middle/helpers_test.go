package middle

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
	"go.uber.org/zap/zaptest"
)

// testSecret returns a valid random proxy secret (binary, non-zero selector).
func testSecret(t testing.TB) []byte {
	t.Helper()
	for {
		b := make([]byte, 128)
		_, _ = rand.Read(b)
		if _, err := rpc.ParseProxySecret(b); err == nil {
			return b
		}
	}
}

// configFor lists the fake middle proxies: dcs[i] is served by mids[i].
func configFor(def int, dcs []int, mids []*fakemiddle.Server) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# test config\ndefault %d;\n", def)
	for i, s := range mids {
		fmt.Fprintf(&b, "proxy_for %d %s;\n", dcs[i], s.Addr())
		fmt.Fprintf(&b, "proxy_for %d %s;\n", -dcs[i], s.Addr())
	}
	return []byte(b.String())
}

// rig is a proxy engine in middle mode on loopback, with fake middle
// proxies and a fake core.telegram.org.
type rig struct {
	t      *testing.T
	ro     rigOpts
	secret []byte
	core   *fakecore.Server
	mids   []*fakemiddle.Server
	obs    *recObserver
	m      *Middle
	px     *proxy.Proxy
	addr   string
	key    [16]byte
	dir    string
	ln     net.Listener // the engine's
}

type rigOpts struct {
	mids    int                                        // fake middle proxies, serving DC 2, 3, ... (default 1)
	fm      func(r *rig, i int, o *fakemiddle.Options) // r.ln is listening already
	opts    func(o *Options)
	setup   func(r *rig, o *Options) // after opts, with the fakes running
	engine  func(o *proxy.Options)
	noStart bool   // New only: the test calls start (or Start) itself
	noWait  bool   // start does not wait for the default DC to be ready
	listen  string // the engine's listen address (default 127.0.0.1:0)
}

func newRig(t *testing.T, ro rigOpts) *rig {
	t.Helper()
	r := &rig{t: t, ro: ro, secret: testSecret(t), obs: &recObserver{}, dir: t.TempDir()}
	_, _ = rand.Read(r.key[:])
	if ro.mids == 0 {
		ro.mids = 1
	}
	if ro.listen == "" {
		ro.listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", ro.listen)
	if err != nil {
		t.Fatal(err)
	}
	r.ln, r.addr = ln, ln.Addr().String()
	t.Cleanup(func() { _ = ln.Close() })
	var dcs []int
	for i := range ro.mids {
		fo := fakemiddle.Options{Secret: r.secret}
		if ro.fm != nil {
			ro.fm(r, i, &fo)
		}
		s, err := fakemiddle.New(fo)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		r.mids = append(r.mids, s)
		dcs = append(dcs, 2+i)
	}
	r.core = fakecore.New(r.secret, configFor(2, dcs, r.mids), nil)
	t.Cleanup(r.core.Close)

	o := Options{
		ProxySecretURL: r.core.SecretURL(), ProxyConfigURL: r.core.ConfigURL(),
		ProxySecretFile: filepath.Join(r.dir, "proxy.secret"), ProxyConfigFile: filepath.Join(r.dir, "proxy.conf"),
		MinConnections: 2, MaxConnections: 4,
		ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond,
		HandshakeTimeout: 2 * time.Second,
		Logger:           zaptest.NewLogger(t),
		Observer:         r.obs,
	}
	if ro.opts != nil {
		ro.opts(&o)
	}
	if ro.setup != nil {
		ro.setup(r, &o)
	}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	t.Cleanup(func() { _ = m.Close() })
	if ro.noStart {
		return r
	}
	r.start()
	return r
}

// start starts the middle layer, waits for it to be ready and starts the
// engine in front of it.
func (r *rig) start() {
	t := r.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.ro.noWait {
		if err := r.m.WaitReady(ctx); err != nil {
			t.Fatalf("not ready: %v", err)
		}
	}
	r.serveEngine()
}

// serveEngine starts the engine in front of the middle layer.
func (r *rig) serveEngine() {
	t := r.t
	t.Helper()
	po := proxy.Options{Secrets: []proxy.Secret{{Key: r.key}}, Upstream: r.m, Logger: zaptest.NewLogger(t).Named("engine")}
	if r.ro.engine != nil {
		r.ro.engine(&po)
	}
	px, err := proxy.New(po)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = px.Serve(r.ln) }()
	t.Cleanup(func() { _ = px.Close() })
	r.px = px
}

// enginePort is the port clients connect to.
func (r *rig) enginePort() uint16 {
	return r.ln.Addr().(*net.TCPAddr).AddrPort().Port()
}

func (r *rig) dial(mode client.Mode, dc int16) *client.Conn {
	r.t.Helper()
	return r.dialWith(client.Options{Mode: mode, DC: dc})
}

// dialWith dials a client with o, its secret and domain the rig's.
func (r *rig) dialWith(o client.Options) *client.Conn {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o.Secret, o.Domain = r.key, testDomain
	c, err := client.Dial(ctx, r.addr, o)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = c.Close() })
	return c
}

// encPacket returns an MTProto packet that looks encrypted (non-zero
// auth_key_id) of n bytes (n >= 56, a multiple of 4), tagged with id.
func encPacket(id uint32, n int) []byte {
	p := make([]byte, n)
	p[0] = 0xaa
	for i := 8; i+4 <= n; i += 4 {
		p[i], p[i+1], p[i+2], p[i+3] = byte(id), byte(id>>8), byte(id>>16), byte(i)
	}
	return p
}

// eventually polls cond until it holds or the time runs out.
func eventually(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noViolations fails the test if a fake middle proxy saw a protocol violation.
func (r *rig) noViolations() {
	r.t.Helper()
	for i, s := range r.mids {
		if v := s.Violations(); len(v) > 0 {
			r.t.Errorf("middle proxy %d: violations %q", i, v)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitTargets waits until every target of the config in use has n ready
// connections.
func (r *rig) waitTargets(n int) {
	r.t.Helper()
	eventually(r.t, fmt.Sprintf("%d ready connections per target", n), 15*time.Second, func() bool {
		st := r.m.Stats()
		if st.DeclaredTargets == 0 {
			return false
		}
		for _, ts := range st.Targets {
			if !ts.Retired && ts.Ready != n {
				return false
			}
		}
		return true
	})
}

// requestsOf returns the requests a fake received for connection id.
func requestsOf(s *fakemiddle.Server, id uint64) []fakemiddle.Request {
	var out []fakemiddle.Request
	for _, q := range s.Requests() {
		if q.ConnID == id {
			out = append(out, q)
		}
	}
	return out
}

// connIDOf returns the connection id of the requests a fake received from
// client c (matched by its local address), failing unless exactly one.
func connIDOf(t *testing.T, s *fakemiddle.Server, c *client.Conn) uint64 {
	t.Helper()
	me := c.NetConn().LocalAddr().(*net.TCPAddr).AddrPort()
	ids := map[uint64]bool{}
	for _, q := range s.Requests() {
		if q.Client == me {
			ids[q.ConnID] = true
		}
	}
	if len(ids) != 1 {
		t.Fatalf("client %s: conn ids %v, want exactly one", me, ids)
	}
	for id := range ids {
		return id
	}
	return 0
}

// waitStats waits until the stats satisfy cond and returns them. Counters
// move just after the packet they count is handed on, so a client may see
// its answer a moment before the count does.
func (r *rig) waitStats(what string, cond func(Stats) bool) Stats {
	r.t.Helper()
	var st Stats
	eventually(r.t, what, 10*time.Second, func() bool {
		st = r.m.Stats()
		return cond(st)
	})
	return st
}
