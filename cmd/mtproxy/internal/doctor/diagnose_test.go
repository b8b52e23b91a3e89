package doctor

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// healthyWorld is a middle-mode proxy whose every dependency answers on
// loopback; it returns the env and the proxy secret.
func healthyWorld(t *testing.T) (env, Options, []byte) {
	e := baseEnv(t)
	secret := proxySecretBytes(t)
	m := startMiddle(t, secret, fakemiddle.Options{ExpectClientIP: netip.MustParseAddr("203.0.113.7")})
	withCore(t, e, secret, middleConfig(m.Addr().String(), 2, 1, -2))
	front := tlsfront.Start(t, "front.example.com")
	e["TAG"] = testTag
	e["TLS_DOMAIN"], e["FRONTING_ADDR"] = "front.example.com", front.Addr()
	e["NTP_SERVERS"] = sntpServer(t, 0)
	e["IP_DETECT_URLS"] = ipService(t, "203.0.113.7")
	o := testOptions(t)
	o.TLSRoots = front.CertPool()
	return e, o, secret
}

func TestDiagnoseHealthy(t *testing.T) {
	e, o, _ := healthyWorld(t)
	rep := diagnose(t, e, o)
	var b bytes.Buffer
	_ = rep.WriteText(&b)
	for _, out := range rep.Outcomes {
		wantSt := OK
		if out.Name == "running proxy" {
			wantSt = Skip
		}
		if out.Status != wantSt {
			t.Errorf("%s: %v, want %v", out.Name, out.Status, wantSt)
		}
	}
	if rep.Failed() || t.Failed() {
		t.Fatalf("report:\n%s", b.String())
	}
	want(t, outcome(t, rep, "middle proxies").Result, OK, "3 of 3 answered", "RPC handshake ok with 3 as 203.0.113.7")
}

// Secrets (client secrets, the proxy secret, the tag) are printed in the
// link lines only, in both formats, and not at all with HideLinks.
func TestDiagnoseKeepsSecrets(t *testing.T) {
	e, o, proxySecret := healthyWorld(t)
	for _, hide := range []bool{false, true} {
		o.HideLinks = hide
		rep := diagnose(t, e, o)
		var text, js bytes.Buffer
		_ = rep.WriteText(&text)
		_ = rep.WriteJSON(&js)
		links := 0
		for _, line := range strings.Split(text.String()+js.String(), "\n") {
			isLink := strings.Contains(line, "tg://proxy?") || strings.Contains(line, "https://t.me/proxy?")
			if isLink {
				links++
			}
			if strings.Contains(line, testSecret) && (hide || !isLink) {
				t.Errorf("client secret printed (hide %v): %s", hide, line)
			}
			for _, s := range []string{testTag, hex.EncodeToString(proxySecret[:16])} {
				if strings.Contains(strings.ToLower(line), s) {
					t.Errorf("tag or proxy secret printed: %s", line)
				}
			}
		}
		if links != 8 { // dd and ee, tg and t.me, text and JSON
			t.Errorf("%d link lines, want 8", links)
		}
	}
}

// With every dependency silent the run still ends within its deadline.
func TestDiagnoseBoundedTime(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "middle"
	secret := proxySecretBytes(t)
	m := startMiddle(t, secret, fakemiddle.Options{})
	m.SetMode(fakemiddle.ModeSilent)
	withCore(t, e, secret, middleConfig(m.Addr().String(), 2))
	o := testOptions(t)
	o.Timeout = 300 * time.Millisecond
	start := time.Now()
	rep := diagnose(t, e, o)
	// A silent peer would hold a check forever; the margin is for a loaded
	// machine, not a speed requirement.
	if took := time.Since(start); took > o.Deadline()+unfinishedGrace+10*time.Second {
		t.Errorf("took %v, deadline %v", took, o.Deadline())
	}
	want(t, outcome(t, rep, "middle proxies").Result, Fail, "accepts and stays silent: no answer within 300ms")
	if !rep.Failed() {
		t.Error("not failed")
	}
}
