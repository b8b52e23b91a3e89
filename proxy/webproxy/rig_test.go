package webproxy_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
	"github.com/mtproxy/mtproxy/testkit/webclient"
	"go.uber.org/zap/zaptest"
)

const testHost = "proxy.example.com"

// rig is a proxy engine (direct to a fake DC, or through a fake middle
// proxy) behind a carrier on a loopback HTTP server, whose public site is a
// stand-in that answers "public site".
type rig struct {
	t       *testing.T
	keys    [][16]byte
	dc      *fakedc.DC
	mid     *fakemiddle.Server
	px      *proxy.Proxy
	carrier *webproxy.Carrier
	srv     *httptest.Server
	obs     *recObserver
	site    *siteRecorder
	o       webproxy.Options
}

type rigOpts struct {
	middle  bool
	options func(*webproxy.Options)
	engine  func(*proxy.Options)
}

func newRig(t *testing.T, ro rigOpts) *rig {
	t.Helper()
	r := &rig{t: t, keys: [][16]byte{randKey(), randKey()}, obs: newRecObserver(), site: &siteRecorder{}}
	po := proxy.Options{Logger: zaptest.NewLogger(t).Named("engine")}
	for i, k := range r.keys {
		po.Secrets = append(po.Secrets, proxy.Secret{Name: fmt.Sprintf("s%d", i), Key: k})
	}
	if ro.middle {
		po.Upstream = r.startMiddle()
	} else {
		r.dc = fakedc.Start(t, fakedc.Options{})
		ap := netip.MustParseAddrPort(r.dc.Addr())
		table := dc.Builtin().WithOverrides(map[int][]netip.AddrPort{1: {ap}, 2: {ap}, 3: {ap}, 4: {ap}, 5: {ap}})
		po.Upstream = direct.New(direct.Options{Table: table})
	}
	if ro.engine != nil {
		ro.engine(&po)
	}
	px, err := proxy.New(po)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	r.px = px
	var secrets []webproxy.Secret
	for i, k := range r.keys {
		secrets = append(secrets, webproxy.Secret{Name: fmt.Sprintf("s%d", i), Key: k})
	}
	r.o = webproxy.Options{
		Host: testHost, Engine: px, Secrets: webproxy.StaticSecrets(secrets), Site: r.site,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Logger:         zaptest.NewLogger(t).Named("carrier"), Observer: r.obs,
	}
	if ro.options != nil {
		ro.options(&r.o)
	}
	c, err := webproxy.New(r.o)
	if err != nil {
		t.Fatal(err)
	}
	r.carrier = c
	r.srv = newServer(t, c)
	return r
}

// newServer serves c on loopback until the test ends.
func newServer(t *testing.T, c *webproxy.Carrier) *httptest.Server {
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	// Before the server's Close, which waits for parked polls.
	t.Cleanup(func() { _ = c.Close() })
	return srv
}

// startMiddle starts a fake middle proxy for DC 2 and a fake
// core.telegram.org, and a middle layer using them.
func (r *rig) startMiddle() *middle.Middle {
	t := r.t
	secret := proxySecret(t)
	mid, err := fakemiddle.New(fakemiddle.Options{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mid.Close() })
	r.mid = mid
	conf := fmt.Sprintf("default 2;\nproxy_for 2 %s;\nproxy_for -2 %s;\n", mid.Addr(), mid.Addr())
	core := fakecore.New(secret, []byte(conf), nil)
	t.Cleanup(core.Close)
	dir := t.TempDir()
	m, err := middle.New(middle.Options{
		ProxySecretURL: core.SecretURL(), ProxyConfigURL: core.ConfigURL(),
		ProxySecretFile: filepath.Join(dir, "proxy.secret"), ProxyConfigFile: filepath.Join(dir, "proxy.conf"),
		MinConnections: 1, MaxConnections: 2, HandshakeTimeout: 5 * time.Second,
		Logger: zaptest.NewLogger(t).Named("middle"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func proxySecret(t *testing.T) []byte {
	for {
		b := make([]byte, 128)
		_, _ = rand.Read(b)
		if _, err := rpc.ParseProxySecret(b); err == nil {
			return b
		}
	}
}

func randKey() (k [16]byte) {
	_, _ = rand.Read(k[:])
	return k
}

// client returns the test client's options for secret i in form f.
func (r *rig) client(i int, f wire.Form) webclient.Options {
	return webclient.Options{URL: r.srv.URL, Host: testHost, BasePath: r.o.BasePath, Secret: r.keys[i], Form: f}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// siteRecorder is the public site: it answers "public site" and counts.
type siteRecorder struct {
	mu   sync.Mutex
	hits int
}

const siteBody = "public site"

func (s *siteRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(siteBody))
}

func (s *siteRecorder) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// recObserver counts the carrier's events.
type recObserver struct {
	mu                    sync.Mutex
	opened, closed, pages int
	streams               map[webproxy.StreamResult]int
	bytes                 map[webproxy.Direction]int
	fallbacks             map[webproxy.FallbackReason]int
	limits                map[webproxy.Limit]int
}

func newRecObserver() *recObserver {
	return &recObserver{streams: map[webproxy.StreamResult]int{}, bytes: map[webproxy.Direction]int{},
		fallbacks: map[webproxy.FallbackReason]int{}, limits: map[webproxy.Limit]int{}}
}

func (o *recObserver) do(f func()) { o.mu.Lock(); f(); o.mu.Unlock() }

func (o *recObserver) SessionOpened()                           { o.do(func() { o.opened++ }) }
func (o *recObserver) SessionClosed()                           { o.do(func() { o.closed++ }) }
func (o *recObserver) Stream(r webproxy.StreamResult)           { o.do(func() { o.streams[r]++ }) }
func (o *recObserver) CarrierBytes(d webproxy.Direction, n int) { o.do(func() { o.bytes[d] += n }) }
func (o *recObserver) PageServed()                              { o.do(func() { o.pages++ }) }
func (o *recObserver) SiteFallback(r webproxy.FallbackReason)   { o.do(func() { o.fallbacks[r]++ }) }
func (o *recObserver) LimitHit(l webproxy.Limit)                { o.do(func() { o.limits[l]++ }) }

func (o *recObserver) get(f func(*recObserver) int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return f(o)
}

// eventually polls cond until it holds, within a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func notContains(t *testing.T, what, s string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(strings.ToLower(s), strings.ToLower(b)) {
			t.Errorf("%s contains %q: %s", what, b, s)
		}
	}
}
