package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/redisserver"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// fleet is a real redis-server and proxies sharing it and their secrets,
// in front of one fake DC and one fronting site.
type fleet struct {
	redis *redisserver.Server
	dc    *fakedc.DC
	front *tlsfront.Front
	env   []map[string]string
	p     []*proc
	// probed is what the fake DC had counted once every proxy's DC
	// prober finished its first round (one req_pq_multi per DC each).
	probed fakedc.Stats
}

// startFleet starts n proxies with the same SECRET, FakeTLS domain and
// STATE_URL; edit adjusts every environment first.
func startFleet(t *testing.T, n int, edit func(env map[string]string)) *fleet {
	t.Helper()
	f := &fleet{
		redis: redisserver.Start(t, redisserver.Options{Password: "fleet-password"}),
		dc:    fakedc.Start(t, fakedc.Options{}),
		front: tlsfront.Start(t, frontDomain),
	}
	for range n {
		env := baseEnv(t)
		env["SECRET"] = secret1Hex
		env["STATE_URL"] = f.redis.URL() + "/0?prefix=e2e:"
		env["STATE_TIMEOUT"] = "2s" // a loaded machine: the bound itself is a unit test's
		useFakeDC(env, f.dc)
		useFront(env, f.front)
		if edit != nil {
			edit(env)
		}
		f.env = append(f.env, env)
		f.p = append(f.p, start(t, env))
	}
	for _, p := range f.p {
		p.waitReady()
	}
	probes := int64(len(dcIDs()) * n)
	deadline := time.Now().Add(safety)
	for f.dc.Stats().ReqPQ < probes {
		if time.Now().After(deadline) {
			t.Fatalf("the fake DC saw %d probes, want the first rounds' %d", f.dc.Stats().ReqPQ, probes)
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.probed = f.dc.Stats()
	return f
}

// clientStats are the fake DC's totals without the probers' first rounds.
func (f *fleet) clientStats() fakedc.Stats {
	st := f.dc.Stats()
	st.Accepted -= f.probed.Accepted
	st.HeaderOK -= f.probed.HeaderOK
	st.ReqPQ -= f.probed.ReqPQ
	return st
}

// restart stops proxy i with SIGTERM and starts it again with the same
// environment.
func (f *fleet) restart(t *testing.T, i int) {
	t.Helper()
	f.p[i].signal(syscall.SIGTERM)
	if code := f.p[i].wait(safety); code != 0 {
		t.Fatalf("proxy %d exited %d", i, code)
	}
	f.p[i] = start(t, f.env[i])
	f.p[i].waitReady()
}

// replayFronted sends a recorded session to p and checks the fronting site
// got a connection that read the replayed bytes (the proxies' own checks
// of the site are connections too, so it is found by its bytes), and p
// counted a replay.
func (f *fleet) replayFronted(t *testing.T, p *proc, rec *client.Conn, transport string, replays float64) {
	t.Helper()
	sent := rec.Written()
	sendAndClose(t, p.addr(), sent)
	deadline := time.Now().Add(safety)
	for !f.frontSaw(sent) {
		if time.Now().After(deadline) {
			t.Fatalf("the fronting site never read the replayed session's start; it has %d connections", len(f.front.Conns()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitCount(t, p, "mtproxy_client_handshakes_total", handshakes(transport, "replay"), replays)
}

// frontSaw reports whether a finished connection of the fronting site read
// the start of sent (at least a record header: a TLS site may stop there).
func (f *fleet) frontSaw(sent []byte) bool {
	for _, c := range f.front.Conns() {
		if c.Closed && len(c.FirstBytes) >= 5 && bytes.HasPrefix(sent, c.FirstBytes) {
			return true
		}
	}
	return false
}

// A FakeTLS hello and an obfuscated2 session accepted by replica A and
// replayed to replica B are fronted by B: the site, not the proxy, answers
// the prober. Only the genuine sessions reach the DC.
func TestFleetReplayAcrossReplicas(t *testing.T) {
	f := startFleet(t, 2, nil)
	a, b := f.p[0], f.p[1]
	for _, p := range f.p {
		waitMetric(t, p, "mtproxy_state_health", map[string]string{"state": "up"}, 1)
	}

	tls := recordedSession(t, a.addr(), client.FakeTLS)
	f.replayFronted(t, b, tls, "faketls", 1)
	o2 := recordedSession(t, a.addr(), client.Intermediate)
	f.replayFronted(t, b, o2, "intermediate", 1)

	echo(t, tls, 64, false) // the genuine sessions are untouched
	echo(t, o2, 64, false)
	if st := f.clientStats(); st.ReqPQ != 2 || st.HeaderOK != 2 {
		t.Fatalf("the DC answered %d req_pq on %d connections, want the 2 genuine ones", st.ReqPQ, st.HeaderOK)
	}
	if v, _ := metric(t, a, "mtproxy_state_replicas", map[string]string{}); v < 1 {
		t.Errorf("A sees %v live replicas", v)
	}
}

// A hello accepted before a restart is fronted after it: the digest
// outlives the process in the shared store.
func TestFleetReplayAfterRestart(t *testing.T) {
	f := startFleet(t, 1, nil)
	tls := recordedSession(t, f.p[0].addr(), client.FakeTLS)
	tls.Close()
	f.restart(t, 0)
	f.replayFronted(t, f.p[0], tls, "faketls", 1)
}

// With the store killed mid-test, clients keep being served on local
// state, the proxy reports the store down (metrics, a warning, readiness
// untouched); when the store is back, the digests recorded meanwhile are
// written back, so a hello accepted by A during the outage is fronted by B
// afterwards.
func TestFleetStoreOutage(t *testing.T) {
	f := startFleet(t, 2, nil)
	a, b := f.p[0], f.p[1]
	for _, p := range f.p {
		waitMetric(t, p, "mtproxy_state_health", map[string]string{"state": "up"}, 1)
	}
	f.redis.Kill()

	var during []*client.Conn
	for range 4 { // failed replay checks take A down (3 in a row)
		c := recordedSession(t, a.addr(), client.FakeTLS)
		during = append(during, c)
	}
	reqPQ(t, dial(t, b.addr(), opts(t, client.Padded, secret1Hex, 2)))
	waitMetric(t, a, "mtproxy_state_health", map[string]string{"state": "down"}, 1)
	if v, _ := metric(t, a, "mtproxy_state_up", map[string]string{}); v != 0 {
		t.Errorf("mtproxy_state_up %v while the store is down", v)
	}
	waitMetric(t, a, "mtproxy_state_fallbacks_total", map[string]string{"op": "replay"}, 4)
	waitMetric(t, a, "mtproxy_state_errors_total", map[string]string{"op": "replay"}, 1)
	if v, _ := metric(t, a, "mtproxy_state_pending_digests", map[string]string{}); v < 4 {
		t.Errorf("%v digests pending, want the 4 of the outage", v)
	}
	if code, body := get(t, a.internal()+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %d while the store is down: %s", code, body)
	}
	if !strings.Contains(a.Stderr()+a.Stdout(), "the shared state store is down") {
		t.Error("no warning in the log that the store is down")
	}
	for _, c := range during {
		echo(t, c, 32, false) // still served
	}

	f.redis.Restart() // empty: the outage lost everything
	waitMetric(t, a, "mtproxy_state_health", map[string]string{"state": "up"}, 1)
	waitMetricAtMost(t, a, "mtproxy_state_pending_digests", map[string]string{}, 0)
	f.replayFronted(t, b, during[0], "faketls", 1)
}

// A store that stops answering (frozen: connections open, no reply, the
// slow case) costs a handshake at most STATE_TIMEOUT, then nothing once
// the proxy calls it down; clients are served throughout, and the store
// is up again once it answers.
func TestFleetStoreFrozen(t *testing.T) {
	f := startFleet(t, 1, func(env map[string]string) { env["STATE_TIMEOUT"] = "200ms" })
	p := f.p[0]
	waitMetric(t, p, "mtproxy_state_health", map[string]string{"state": "up"}, 1)
	f.redis.Freeze()
	thawed := false
	defer func() {
		if !thawed {
			f.redis.Thaw()
		}
	}()
	for range 4 {
		reqPQ(t, dial(t, p.addr(), opts(t, client.FakeTLS, secret1Hex, 2)))
	}
	waitMetric(t, p, "mtproxy_state_health", map[string]string{"state": "down"}, 1)
	waitMetric(t, p, "mtproxy_state_errors_total", map[string]string{"op": "replay"}, 3)
	reqPQ(t, dial(t, p.addr(), opts(t, client.FakeTLS, secret1Hex, 2))) // no wait at all now
	f.redis.Thaw()
	thawed = true
	waitMetric(t, p, "mtproxy_state_health", map[string]string{"state": "up"}, 1)
	waitMetricAtMost(t, p, "mtproxy_state_pending_digests", map[string]string{}, 0)
}

// A store restarted empty loses no handshake: every replica writes its
// own replay cache back when it sees the store is new, so a hello accepted
// by A before the restart and replayed to B after it is fronted.
func TestFleetStoreRestartedEmpty(t *testing.T) {
	f := startFleet(t, 2, nil)
	a, b := f.p[0], f.p[1]
	for _, p := range f.p {
		waitMetric(t, p, "mtproxy_state_health", map[string]string{"state": "up"}, 1)
	}
	tls := recordedSession(t, a.addr(), client.FakeTLS)
	tls.Close()
	f.redis.Restart()
	deadline := time.Now().Add(safety)
	for !strings.Contains(a.Stderr(), "its digests were written to it") {
		if time.Now().After(deadline) {
			t.Fatal("A never wrote its replay cache to the restarted store")
		}
		time.Sleep(20 * time.Millisecond)
	}
	f.replayFronted(t, b, tls, "faketls", 1)
}
