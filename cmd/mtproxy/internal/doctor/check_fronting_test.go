package doctor

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

func TestCheckFrontingOff(t *testing.T) {
	s := newTestSession(t, baseEnv(t), testOptions(t))
	want(t, s.checkFronting(context.Background()), Skip, "FakeTLS off")
}

func TestCheckFrontingSite(t *testing.T) {
	front := tlsfront.Start(t, "front.example.com")
	e := baseEnv(t)
	e["TLS_DOMAIN"], e["FRONTING_ADDR"] = "front.example.com", front.Addr()

	o := testOptions(t)
	o.TLSRoots = front.CertPool()
	s := newTestSession(t, e, o)
	want(t, s.checkFronting(context.Background()), OK, front.Addr()+" ("+front.Addr()+") answers TLS 1.3 with a certificate for front.example.com")
	if c := front.Conns(); len(c) == 0 || c[0].SNI != "front.example.com" {
		t.Errorf("the site saw %+v", c)
	}

	// The system roots do not know this site's certificate.
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkFronting(context.Background()), Warn, "answers no valid TLS for front.example.com: certificate:", "probes can tell the proxy from the site")

	// A certificate for another name.
	e["TLS_DOMAIN"] = "other.example.com"
	s = newTestSession(t, e, o)
	want(t, s.checkFronting(context.Background()), Warn, "answers no valid TLS for other.example.com")
}

func TestCheckFrontingUnreachable(t *testing.T) {
	e := baseEnv(t)
	e["TLS_DOMAIN"] = "front.example.com"
	e["FRONTING_ADDR"] = closedAddr(t)
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkFronting(context.Background()), Warn, "FRONTING_ADDR "+e["FRONTING_ADDR"]+": connection refused")

	e["FRONTING_ADDR"] = acceptor(t) // no TLS there
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkFronting(context.Background()), Warn, "answers no valid TLS")
}

func TestCheckFrontingUnresolved(t *testing.T) {
	e := baseEnv(t)
	e["TLS_DOMAIN"] = "front.example.com"
	o := testOptions(t)
	o.LookupIP = func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no such host") }
	s := newTestSession(t, e, o)
	want(t, s.checkFronting(context.Background()), Warn, "TLS_DOMAIN front.example.com does not resolve: no such host")
}

// Fronting to the proxy's own client port would loop.
func TestCheckFrontingLoop(t *testing.T) {
	cases := []struct {
		name     string
		set      env
		resolves string
	}{
		{"loopback", env{"FRONTING_ADDR": "127.0.0.1:PORT"}, ""},
		{"by name", env{"FRONTING_ADDR": "front.example.com:PORT"}, "127.0.0.1"},
		{"external address", env{"FRONTING_ADDR": "front.example.com:PORT", "IP": "203.0.113.7"}, "203.0.113.7"},
		{"domain", env{"PORT": "443", "INTERNAL_PORT": "2398"}, "203.0.113.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			e["TLS_DOMAIN"], e["IP"] = "front.example.com", "203.0.113.7"
			for k, v := range c.set {
				e[k] = v
			}
			if f := e["FRONTING_ADDR"]; f != "" {
				e["FRONTING_ADDR"] = f[:len(f)-len("PORT")] + e["PORT"]
			}
			o := testOptions(t)
			o.LookupIP = func(context.Context, string) ([]netip.Addr, error) {
				return []netip.Addr{netip.MustParseAddr(c.resolves)}, nil
			}
			s := newTestSession(t, e, o)
			want(t, s.checkFronting(context.Background()), Fail, "is this proxy", "in a loop")
		})
	}
}
