package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// startMiddle starts a fake middle proxy knowing secret.
func startMiddle(t *testing.T, secret []byte, o fakemiddle.Options) *fakemiddle.Server {
	t.Helper()
	o.Secret = secret
	m, err := fakemiddle.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestCheckMiddleHandshake(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "middle"
	secret := proxySecretBytes(t)
	m := startMiddle(t, secret, fakemiddle.Options{})
	withCore(t, e, secret, middleConfig(m.Addr().String(), 2, -2))
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkMiddle(context.Background()), OK, "2 of 2 answered", "RPC handshake ok with 2 as 127.0.0.1", "(downloaded list, 2 DCs)")
	// The middle proxy counts a handshake after its answer is out.
	deadline := time.Now().Add(2 * time.Second)
	for m.Stats().Handshakes < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := m.Stats(); st.Handshakes != 2 || len(st.Failures) != 0 {
		t.Errorf("the middle proxy saw %+v", st)
	}
}

// Behind NAT the keys mix in the external address: right, the handshake
// passes; wrong (the middle proxy sees another), it fails and says why.
func TestCheckMiddleNAT(t *testing.T) {
	for _, c := range []struct {
		sees string
		st   Status
		frag []string
	}{
		{"203.0.113.7", OK, []string{"RPC handshake ok with 1 as 203.0.113.7"}},
		{"198.51.100.9", Fail, []string{"dc 2 127.0.0.1:", "the keys disagree, so it sees us at another address than 203.0.113.7", "set IP (or NAT_INFO)", "no working middle proxy for DC 2"}},
	} {
		t.Run(c.sees, func(t *testing.T) {
			e := baseEnv(t)
			e["MODE"] = "middle"
			e["IP_DETECT_URLS"] = ipService(t, "203.0.113.7")
			secret := proxySecretBytes(t)
			m := startMiddle(t, secret, fakemiddle.Options{ExpectClientIP: netip.MustParseAddr(c.sees)})
			withCore(t, e, secret, middleConfig(m.Addr().String(), 2))
			s := newTestSession(t, e, testOptions(t))
			want(t, s.checkMiddle(context.Background()), c.st, c.frag...)
		})
	}
}

// Each way a handshake fails gets its own explanation.
func TestCheckMiddleFailures(t *testing.T) {
	cases := []struct {
		name      string
		o         fakemiddle.Options
		mode      fakemiddle.Mode
		other     bool // the middle proxy has another proxy secret
		fragments []string
	}{
		{"other secret", fakemiddle.Options{}, fakemiddle.ModeNormal, true, []string{"the middle proxy closed the connection at once", "an outdated proxy secret"}},
		{"refused", fakemiddle.Options{}, fakemiddle.ModeRefuse, false, []string{"handshake: rpc: middle proxy refused the handshake"}},
		{"silent", fakemiddle.Options{}, fakemiddle.ModeSilent, false, []string{"no_answer: TCP connects but the peer accepts and stays silent"}},
		{"closes", fakemiddle.Options{}, fakemiddle.ModeCloseOnAccept, false, []string{"the middle proxy closed the connection at once"}},
		{"garbage", fakemiddle.Options{}, fakemiddle.ModeGarbage, false, []string{"not_mtproto: TCP connects but the peer is not Telegram"}},
		{"clock", fakemiddle.Options{ClockSkew: time.Minute}, fakemiddle.ModeNormal, false, []string{"this host's clock over 30 s off"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			e["MODE"] = "middle"
			secret := proxySecretBytes(t)
			theirs := secret
			if c.other {
				theirs = proxySecretBytes(t)
			}
			m := startMiddle(t, theirs, c.o)
			m.SetMode(c.mode)
			withCore(t, e, secret, middleConfig(m.Addr().String(), 2))
			o := testOptions(t)
			o.Timeout = 500 * time.Millisecond
			s := newTestSession(t, e, o)
			r := s.checkMiddle(context.Background())
			want(t, r, Fail, append(c.fragments, "no working middle proxy for DC 2")...)
		})
	}
}

func TestCheckMiddlePartial(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "middle"
	secret := proxySecretBytes(t)
	m := startMiddle(t, secret, fakemiddle.Options{})
	closed := closedAddr(t)
	conf := fmt.Sprintf("proxy_for 2 %s;\nproxy_for 2 %s;\nproxy_for 1 %s;\ndefault 2;\n", m.Addr(), closed, closed)
	withCore(t, e, secret, []byte(conf))
	s := newTestSession(t, e, testOptions(t))
	r := s.checkMiddle(context.Background())
	want(t, r, Fail, "1 of 3 answered", "dc 1 "+closed+", dc 2 "+closed+": connection refused", "no working middle proxy for DC 1:")
	if strings.Contains(strings.Join(r.Notes, "\n"), "DC 1, 2") {
		t.Errorf("DC 2 has a working middle proxy: %q", r.Notes)
	}

	conf = fmt.Sprintf("proxy_for 2 %s;\nproxy_for 2 %s;\ndefault 2;\n", m.Addr(), closed)
	withCore(t, e, secret, []byte(conf))
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkMiddle(context.Background()), Warn, "1 of 2 answered", "RPC handshake ok with 1")
}

// Without a proxy secret only connects are tested; from the cache when
// the download fails; in direct mode failures only warn.
func TestCheckMiddleNoSecretCachedList(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "middle"
	m := startMiddle(t, proxySecretBytes(t), fakemiddle.Options{})
	writeFile(t, e["PROXY_CONFIG_FILE"], middleConfig(m.Addr().String(), 2), time.Minute)
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkMiddle(context.Background()), OK, "1 of 1 answered", "RPC handshake not tried: no proxy secret", "(cached list, 1 DC)")
	if n := m.Stats().Handshakes; n != 0 {
		t.Errorf("%d handshakes without a secret", n)
	}
}

func TestCheckMiddleDirectMode(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "direct"
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkMiddle(context.Background()), Skip, "not used in direct mode")

	e = baseEnv(t)
	e["MODE"] = "direct"
	writeFile(t, e["PROXY_CONFIG_FILE"], middleConfig(closedAddr(t), 2), time.Minute)
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkMiddle(context.Background()), Warn, "connection refused", "not used in direct mode")

	e = baseEnv(t)
	e["MODE"] = "middle"
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkMiddle(context.Background()), Fail, "no middle-proxy list to check")
}
