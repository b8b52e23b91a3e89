package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// Secrets and the FakeTLS domain of the relay tests.
const (
	secret1Hex = "0123456789abcdef0123456789abcdef"
	secret2Hex = "fedcba9876543210fedcba9876543210"
	// unknownHex is a secret the proxies under test do not have.
	unknownHex  = "00112233445566778899aabbccddeeff"
	frontDomain = "front.example"
	// safety bounds every wait of these tests; never a performance claim.
	safety = 30 * time.Second
)

// key decodes a 32-hex secret.
func key(t testing.TB, s string) [16]byte {
	t.Helper()
	var k [16]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		t.Fatalf("bad test secret %q", s)
	}
	copy(k[:], b)
	return k
}

// dcIDs are every DC of the built-in table, main, media and CDN.
func dcIDs() []int { return []int{1, 2, 3, 4, 5, 203, -1, -2, -3, -4, -5, -203} }

// useFakeDC points every DC at d, so a proxy under test can reach nothing
// else, keeps the DC prober to its first round (one MTProto exchange per
// DC, which the fake DC answers and counts: see rig.probed), and runs the
// proxy in direct mode, which these tests are about.
func useFakeDC(env map[string]string, d *fakedc.DC) {
	dcsAt(env, d)
	env["MODE"] = "direct"
}

// dcsAt points every DC at d and keeps the DC prober to its first round.
func dcsAt(env map[string]string, d *fakedc.DC) {
	parts := make([]string, 0, len(dcIDs()))
	for _, id := range dcIDs() {
		parts = append(parts, fmt.Sprintf("%d=%s", id, d.Addr()))
	}
	env["DC_ADDRS"] = strings.Join(parts, ",")
	env["DC_PROBE_INTERVAL"] = "1h"
}

// useFront turns FakeTLS on for frontDomain and fronts failed handshakes to f.
func useFront(env map[string]string, f *tlsfront.Front) {
	env["TLS_DOMAIN"] = f.Domain()
	env["FRONTING_ADDR"] = f.Addr()
}

// rig is a running proxy in direct mode in front of a fake DC. probed is
// what the fake DC had counted once the proxy was ready: the DC prober's
// first round, one req_pq_multi per DC, which the tests' counts exclude.
type rig struct {
	p      *proc
	dc     *fakedc.DC
	probed fakedc.Stats
}

// startRig starts a fake DC and a proxy relaying to it with the secrets
// s1 (and s2 for multi-secret tests). edit adjusts the environment first.
func startRig(t *testing.T, dco fakedc.Options, edit func(env map[string]string), args ...string) *rig {
	t.Helper()
	d := fakedc.Start(t, dco)
	env := baseEnv(t)
	env["SECRET"] = secret1Hex
	useFakeDC(env, d)
	if edit != nil {
		edit(env)
	}
	p := start(t, env, args...)
	p.waitReady()
	awaitProfile(t, p)
	awaitFirstProbeRound(t, p)
	// The fake DC counts a resPQ once its write returns, which can be after
	// the prober read it: wait for its counts to settle too.
	eventually(t, "the fake DC's count of the probes", func() bool {
		st := d.Stats()
		return st.ReqPQ == st.HeaderOK
	})
	return &rig{p: p, dc: d, probed: d.Stats()}
}

// awaitFirstProbeRound waits until the DC prober's first round has answered
// for every DC, so that what the fake DC counted then is exactly that round
// (ready needs only one DC to answer; the others may still be on the wire).
func awaitFirstProbeRound(t *testing.T, p *proc) {
	t.Helper()
	for _, id := range dcIDs() {
		waitMetric(t, p, "mtproxy_upstream_probes_total", map[string]string{"dc": strconv.Itoa(id), "result": "ok"}, 1)
	}
}

// clientStats are the fake DC's totals without the prober's first round.
func (r *rig) clientStats() fakedc.Stats {
	st := r.dc.Stats()
	st.Accepted -= r.probed.Accepted
	st.HeaderOK -= r.probed.HeaderOK
	st.ReqPQ -= r.probed.ReqPQ
	return st
}

// profileConns counts, by the fronting site's address, the connections the
// proxies under test made to record the site's TLS answer at start: the
// site saw them first, before any the tests make.
var profileConns sync.Map // string -> int

// awaitProfile waits, for a proxy fronting to a site with FakeTLS on,
// until it has recorded the site's TLS answer at start (one connection to
// the site), so that tests count the site's connections after it.
func awaitProfile(t testing.TB, p *proc) {
	t.Helper()
	site := p.env["FRONTING_ADDR"]
	if site == "" || p.env["TLS_DOMAIN"] == "" {
		return
	}
	waitMetric(t, p, "mtproxy_fronting_profile_probes_total", map[string]string{"result": "ok"}, 1)
	n, _ := profileConns.LoadOrStore(site, 0)
	profileConns.Store(site, n.(int)+1)
}

// siteConns returns the connections the site saw after the proxies'
// profile probes.
func siteConns(f *tlsfront.Front) []tlsfront.ConnInfo {
	n, _ := profileConns.Load(f.Addr())
	base, _ := n.(int)
	cs := f.Conns()
	return cs[min(base, len(cs)):]
}

// bounded returns a context cancelled after safety or when the test ends.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	t.Cleanup(cancel)
	return ctx
}

// opts is the client options of a mode with secret s; FakeTLS clients
// present frontDomain.
func opts(t testing.TB, m client.Mode, s string, dc int16) client.Options {
	o := client.Options{Secret: key(t, s), Mode: m, DC: dc}
	if m == client.FakeTLS {
		o.Domain = frontDomain
	}
	return o
}

// dial connects through the proxy and fails the test when the handshake
// does; the connection is closed when the test ends.
func dial(t testing.TB, addr string, o client.Options) *client.Conn {
	t.Helper()
	c, err := client.Dial(bounded(t), addr, o)
	if err != nil {
		t.Fatalf("%s handshake: %v", o.Mode, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// reqPQ proves both directions: req_pq_multi reached the fake DC, which
// answered a resPQ with our nonce.
func reqPQ(t testing.TB, c *client.Conn) {
	t.Helper()
	if _, err := c.ReqPQ(bounded(t)); err != nil {
		t.Fatalf("req_pq_multi through the proxy: %v", err)
	}
}

// waitDC waits until the fake DC has a connection satisfying pred.
func waitDC(t testing.TB, d *fakedc.DC, what string, pred func(fakedc.ConnInfo) bool) fakedc.ConnInfo {
	t.Helper()
	ci, err := d.WaitFor(bounded(t), pred)
	if err != nil {
		t.Fatalf("fake DC never saw %s: %v\nconnections: %+v", what, err, d.Conns())
	}
	return ci
}

// headerConns counts the fake DC's connections made for clients: those
// that sent a valid header, less the prober's.
func (r *rig) headerConns() int {
	n := 0
	for _, c := range r.dc.Conns() {
		if c.HeaderOK {
			n++
		}
	}
	return n - int(r.probed.HeaderOK)
}
