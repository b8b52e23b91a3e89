package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/badpeer"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
)

// notTelegram maps DCs 1-4 to a peer of each bad behaviour, with the
// probe class and the doctor's words expected for it.
var notTelegram = []struct {
	dc     int
	b      badpeer.Behaviour
	result string
	words  string
}{
	{1, badpeer.HTTP400, "not_mtproto", "TCP connects but the peer is not Telegram: it answered HTTP"},
	{2, badpeer.Silent, "no_answer", "TCP connects but the peer accepts and stays silent"},
	{3, badpeer.CloseAfterFirst, "reset", "TCP connects, then the peer closes the connection before answering"},
	{4, badpeer.Echo, "not_mtproto", "TCP connects but the peer is not Telegram: it echoes what it is sent"},
}

// badWorld points DCs 1-4 at the bad peers and DCs 5 and 203 at up (a
// fake DC), or at more bad peers when up is "".
func badWorld(t *testing.T, env map[string]string, up string) {
	t.Helper()
	var dcs []string
	for _, c := range notTelegram {
		dcs = append(dcs, fmt.Sprintf("%d=%s", c.dc, badpeer.Start(t, c.b).Addr()))
	}
	for i, id := range []int{5, 203} {
		addr := up
		if addr == "" {
			addr = badpeer.Start(t, notTelegram[i].b).Addr()
		}
		dcs = append(dcs, fmt.Sprintf("%d=%s", id, addr))
	}
	env["DC_ADDRS"] = strings.Join(dcs, ",")
	env["MODE"] = "direct"
	env["DIAL_TIMEOUT"] = "1s" // bounds the probe's wait for the silent peer
}

// DCs whose addresses accept TCP but are not Telegram are down, each with
// its class, next to a fake DC that is up in the same run; the proxy
// stays ready thanks to that one.
func TestProbeClassifiesNotTelegram(t *testing.T) {
	env := baseEnv(t)
	env["SECRET"] = secret1Hex
	badWorld(t, env, fakedc.Start(t, fakedc.Options{}).Addr())
	p := start(t, env)
	p.waitReady()
	waitMetric(t, p, "mtproxy_upstream_up", map[string]string{"dc": "5"}, 1) // the first round is complete
	for _, c := range notTelegram {
		waitMetric(t, p, "mtproxy_upstream_probes_total", map[string]string{"dc": fmt.Sprint(c.dc), "result": c.result}, 1)
		if v, _ := metric(t, p, "mtproxy_upstream_up", map[string]string{"dc": fmt.Sprint(c.dc)}); v != 0 {
			t.Errorf("dc %d (%s) is up", c.dc, c.b)
		}
		if r, _ := statsValue(t, p, fmt.Sprintf("dc_%d_probe_result", c.dc)); r != c.result {
			t.Errorf("/stats dc_%d_probe_result = %q, want %q", c.dc, r, c.result)
		}
	}
	if v, _ := metric(t, p, "mtproxy_upstream_probe_rtt_seconds", map[string]string{"dc": "5"}); v <= 0 {
		t.Errorf("no round trip for the fake DC: %v", v)
	}
	if code, body := get(t, p.internal()+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %d with DC 5 answering: %s", code, body)
	}
	if v, _ := statsValue(t, p, "ready_targets"); v != "2" {
		t.Errorf("/stats ready_targets = %s, want 2 (DCs 5 and 203)", v)
	}
}

// When no DC answers MTProto, /readyz says 503 and why, although every
// address accepts TCP; doctor fails every DC with the reason.
func TestNotTelegramEverywhere(t *testing.T) {
	env := baseEnv(t)
	env["SECRET"] = secret1Hex
	badWorld(t, env, "")
	p := start(t, env)
	p.waitReady()
	deadline := time.Now().Add(safety)
	for {
		code, body := get(t, p.internal()+"/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, "none of the 6 probed DCs answers") {
			if !strings.Contains(body, "dc 1 not_mtproto: TCP connects but the peer is not Telegram: it answered HTTP") {
				t.Errorf("/readyz does not say why: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz %d: %s", code, body)
		}
		time.Sleep(50 * time.Millisecond) // polling /readyz until the first round is done
	}
	for _, id := range []string{"1", "2", "3", "4", "5", "203"} {
		if v, _ := metric(t, p, "mtproxy_upstream_up", map[string]string{"dc": id}); v != 0 {
			t.Errorf("dc %s is up", id)
		}
	}

	code, stdout, stderr := runOnce(t, env, "doctor", "--timeout=1s")
	if code != 1 {
		t.Fatalf("doctor exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, c := range notTelegram {
		wantLine(t, stdout, fmt.Sprintf("dc %d", c.dc), "FAIL", c.result+": "+c.words)
	}
}

// The doctor calls the fake DC up and the bad peers down in one run.
func TestDoctorNotTelegram(t *testing.T) {
	env := doctorEnv(t)
	badWorld(t, env, fakedc.Start(t, fakedc.Options{}).Addr())
	code, stdout, stderr := runOnce(t, env, "doctor", "--timeout=1s")
	if code != 1 {
		t.Fatalf("doctor exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, c := range notTelegram {
		wantLine(t, stdout, fmt.Sprintf("dc %d", c.dc), "FAIL", c.result+": "+c.words)
	}
	wantLine(t, stdout, "dc 5", "ok", "ok, rtt ")
	wantLine(t, stdout, "dc 203", "ok", "ok, rtt ")
}

// A client through the proxy moves the funnel counters to
// upstream_answered; a DC that accepts and stays silent leaves its client
// stalled at upstream_connected, and the dial counts as no_answer.
func TestFunnelCounters(t *testing.T) {
	r := startRig(t, fakedc.Options{}, nil)
	c := dial(t, r.p.addr(), opts(t, client.Padded, secret1Hex, 2))
	reqPQ(t, c)
	waitMetric(t, r.p, "mtproxy_client_stage_total", map[string]string{"stage": "upstream_answered", "transport": "padded"}, 1)
	waitMetric(t, r.p, "mtproxy_upstream_dials_total", map[string]string{"dc": "2", "result": "ok"}, 1)
	c.Close()
	waitMetric(t, r.p, "mtproxy_client_stalls_total", map[string]string{"stage": "upstream_answered", "transport": "padded"}, 1)
	if v, _ := statsValue(t, r.p, "client_stage_upstream_answered"); v != "1" {
		t.Errorf("/stats client_stage_upstream_answered = %s", v)
	}

	env := baseEnv(t)
	env["SECRET"] = secret1Hex
	silent := badpeer.Start(t, badpeer.Silent)
	env["DC_ADDRS"] = "2=" + silent.Addr()
	env["MODE"] = "direct"
	env["DIAL_TIMEOUT"] = "1s"
	p := start(t, env)
	p.waitReady()
	sc := dial(t, p.addr(), opts(t, client.Padded, secret1Hex, 2))
	if err := sc.WritePacket(make([]byte, 40), false); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, p, "mtproxy_client_stage_total", map[string]string{"stage": "upstream_connected", "transport": "padded"}, 1)
	sc.Close()
	waitMetric(t, p, "mtproxy_client_stalls_total", map[string]string{"stage": "upstream_connected", "transport": "padded"}, 1)
	waitMetric(t, p, "mtproxy_upstream_dials_total", map[string]string{"dc": "2", "result": "no_answer"}, 1)
}
