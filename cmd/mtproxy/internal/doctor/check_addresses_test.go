package doctor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// ipService answers every request with addr, as the look-up services do.
func ipService(t *testing.T, addr string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(addr + "\n"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/ip"
}

func TestCheckAddresses(t *testing.T) {
	cases := []struct {
		name      string
		set       env
		st        Status
		fragments []string
	}{
		{"behind NAT", env{}, OK, []string{"behind NAT: internal 10.0.0.5, external 203.0.113.7 (detected)"}},
		{"behind NAT, middle", env{"MODE": "middle"}, OK, []string{"the middle proxies see 203.0.113.7 (NAT_INFO 10.0.0.5:203.0.113.7)"}},
		{"mismatch", env{"IP": "198.51.100.1"}, Warn, []string{"configured external 198.51.100.1 does not match", "203.0.113.7"}},
		{"unknown", env{"IP_DETECT_URLS": "", "MODE": "direct"}, Warn, []string{"incomplete: internal 10.0.0.5; links show YOUR_SERVER_IP"}},
		{"unknown, auto", env{"IP_DETECT_URLS": ""}, Warn, []string{"incomplete: internal 10.0.0.5; links show YOUR_SERVER_IP",
			"MODE=auto would serve clients directly; set IP or NAT_INFO"}},
		{"unknown, middle", env{"IP_DETECT_URLS": "", "MODE": "middle"}, Fail, []string{"the middle proxies will not see the address the RPC keys use"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			e["IP_DETECT_URLS"] = ipService(t, "203.0.113.7")
			for k, v := range c.set {
				e[k] = v
			}
			if e["IP_DETECT_URLS"] == "" {
				e["IP_DETECT_URLS"] = "http://" + closedAddr(t) + "/ip"
			}
			s := newTestSession(t, e, testOptions(t))
			want(t, s.checkAddresses(context.Background()), c.st, c.fragments...)
		})
	}
}

// A public address is fine as is.
func TestCheckAddressesPublic(t *testing.T) {
	e := baseEnv(t)
	e["IP_DETECT_URLS"] = ipService(t, "203.0.113.7")
	o := testOptions(t)
	o.RouteProbe = func(context.Context, netip.AddrPort) (netip.Addr, error) {
		return netip.MustParseAddr("203.0.113.7"), nil
	}
	s := newTestSession(t, e, o)
	want(t, s.checkAddresses(context.Background()), OK, "public: 203.0.113.7 (detected)")
}

func TestAddrFactsPublic(t *testing.T) {
	var a addrFacts
	a.res.External = netip.MustParseAddr("203.0.113.7")
	for local, pub := range map[string]string{
		"10.0.0.5":     "203.0.113.7", // NAT: the external address
		"100.64.1.2":   "203.0.113.7", // carrier-grade NAT
		"198.51.100.9": "198.51.100.9",
		"fd00::5":      "fd00::5", // no IPv6 external known
	} {
		if got := a.public(netip.MustParseAddr(local)); got != netip.MustParseAddr(pub) {
			t.Errorf("public(%s) = %s, want %s", local, got, pub)
		}
	}
}
