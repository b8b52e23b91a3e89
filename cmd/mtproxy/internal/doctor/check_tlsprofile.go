package doctor

import (
	"context"
	"fmt"
	"net"

	"github.com/mtproxy/mtproxy/proxy/tlsprofile"
)

// checkTLSProfile records the fronting site's answer to a Telegram
// client's hello, as the proxy does at start and every
// TLS_PROFILE_INTERVAL, and shows the shape FakeTLS will answer in. When
// the site cannot be recorded the proxy answers with a fallback shape,
// which a prober comparing the proxy with the site may tell apart: a
// warning.
func (s *session) checkTLSProfile(ctx context.Context) Result {
	c := s.cfg
	if c.TLSDomain == "" {
		return skipf("FakeTLS off (no TLS_DOMAIN)")
	}
	target := net.JoinHostPort(c.TLSDomain, "443")
	if c.FrontingAddr != "" {
		target = c.FrontingAddr
	}
	ob, err := tlsprofile.Probe(ctx, tlsprofile.Options{
		Addr: target, ServerName: c.TLSDomain, Dial: s.o.Dial, Timeout: s.o.Timeout, Rand: s.o.Rand,
	})
	if err != nil {
		return warnf("%s: %s; FakeTLS answers with the fallback profile (a typical nginx flight) until the site can be recorded", target, oneLine(err))
	}
	p := ob.Profile
	return okf("%s answers TLS 1.3: %s", target, &ob).note(
		fmt.Sprintf("FakeTLS answers alike: the same ServerHello, then one record of %d bytes (±%d) for the site's %d encrypted records", p.StandInLen(), p.Noise, len(p.Records)))
}
