package doctor

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/mtproxy/mtproxy/testkit/fakemiddle"
)

// The path check says, in plain words, when clients would be served
// directly, and why.
func TestCheckPath(t *testing.T) {
	const media = "photos, videos and stories of accounts without Premium will not load"
	cases := []struct {
		name      string
		mode      string
		setup     func(t *testing.T, e env)
		st        Status
		fragments []string
	}{
		{"direct", "direct", nil, Warn, []string{"clients are served directly (MODE=direct)", media, "an ad tag needs the middle proxies", "use MODE=auto"}},
		{"middle", "middle", nil, OK, []string{"clients go through the middle proxies (MODE=middle)"}},
		{"auto without files", "", nil, Warn, []string{"MODE=auto would serve every client directly: Telegram's files are unavailable", media}},
		{"auto", "", func(t *testing.T, e env) {
			secret := proxySecretBytes(t)
			m := startMiddle(t, secret, fakemiddle.Options{})
			withCore(t, e, secret, middleConfig(m.Addr().String(), 2, -2))
		}, OK, []string{"clients go through the middle proxies (MODE=auto, downloaded files; every DC has a working middle proxy)"}},
		{"auto, a DC without middle proxy", "", func(t *testing.T, e env) {
			secret := proxySecretBytes(t)
			m := startMiddle(t, secret, fakemiddle.Options{})
			cfg := append(middleConfig(m.Addr().String(), 2), []byte(fmt.Sprintf("proxy_for 4 %s;\n", closedAddr(t)))...)
			withCore(t, e, secret, cfg)
		}, Warn, []string{"MODE=auto would serve DC 4 directly: no working middle proxy", media + " there"}},
		{"auto, the running proxy serves a DC directly", "", func(t *testing.T, e env) {
			secret := proxySecretBytes(t)
			m := startMiddle(t, secret, fakemiddle.Options{})
			withCore(t, e, secret, middleConfig(m.Addr().String(), 2))
			serveInternal(t, e, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/stats" {
					fmt.Fprint(w, "mode\tauto\ndc_2_path\tmiddle\ndc_-2_path\tdirect\ndc_other_path\tdirect\n")
				}
			}))
		}, Warn, []string{"every DC has a working middle proxy", "the running proxy serves DC -2, other directly now: " + media}},
		{"auto without fallback", "", func(t *testing.T, e env) { e["DIRECT_FALLBACK"] = "false" },
			Warn, []string{"DIRECT_FALLBACK is off"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			e["MODE"] = c.mode
			if c.setup != nil {
				c.setup(t, e)
			}
			s := newTestSession(t, e, testOptions(t))
			want(t, s.checkPath(context.Background()), c.st, c.fragments...)
		})
	}
}

// In MODE=auto, what MODE=middle fails on is a warning: those clients are
// served directly.
func TestAutoModeWarnsWhereMiddleFails(t *testing.T) {
	e := baseEnv(t)
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkProxyConfig(context.Background()), Warn, "no usable copy", "MODE=auto serves clients directly instead (see path)")
	want(t, s.checkMiddle(context.Background()), Warn, "no middle-proxy list to check", "MODE=auto serves clients directly")

	e = baseEnv(t)
	writeFile(t, e["PROXY_SECRET_FILE"], proxySecretBytes(t), 0)
	writeFile(t, e["PROXY_CONFIG_FILE"], middleConfig(closedAddr(t), 2), 0)
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkMiddle(context.Background()), Warn, "no working middle proxy for DC 2: MODE=auto serves its clients directly")
	// The DCs are what serves then: an unreachable one still fails.
	e = withDC2(e, "2="+closedAddr(t))
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkDC(context.Background(), 2), Fail, "connection refused")

	// With a working middle proxy for DC 2, its unreachable address only warns.
	secret := proxySecretBytes(t)
	m := startMiddle(t, secret, fakemiddle.Options{})
	writeFile(t, e["PROXY_SECRET_FILE"], secret, 0)
	writeFile(t, e["PROXY_CONFIG_FILE"], middleConfig(m.Addr().String(), 2), 0)
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkDC(context.Background(), 2), Warn, "connection refused", "MODE=auto dials a DC only while its middle proxies are down")
}
