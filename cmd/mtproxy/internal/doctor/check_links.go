package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/startup"
)

// checkLinks prints the links clients need, as the start-up block does:
// the external address found by the addresses check (the placeholder host
// when unknown, which warns), PORT, and each secret in its dd form and,
// with TLS_DOMAIN, its ee form (the dd form is left out under TLS_ONLY),
// and with the WEB proxy carrier on, its tg://webproxy and t.me/webproxy
// links for WEBPROXY_HOST.
// These lines are the only ones of the report that hold secrets; with
// Options.HideLinks the secrets are elided there too.
func (s *session) checkLinks(context.Context) Result {
	c := s.cfg
	if s.l.noSecret {
		return skipf("no secret yet: the proxy prints the links when it generates them at its first start")
	}
	ext := s.addrs().external()
	host := ""
	if ext.IsValid() {
		host = ext.WithZone("").Unmap().String()
	}
	var lines []string
	for i, sec := range c.Secrets {
		label := fmt.Sprint(i + 1)
		if sec.Name != "" {
			label += " (" + sec.Name + ")"
		}
		for _, l := range startup.Links(host, c.Port, sec.Key, c.TLSDomain) {
			if !l.FakeTLS && c.TLSOnly {
				continue
			}
			tg, tme := l.TG, l.TMe
			if s.o.HideLinks {
				tg, tme = hideSecret(tg, l.Secret), hideSecret(tme, l.Secret)
			}
			kind := "secret " + label
			if l.FakeTLS {
				kind += " FakeTLS"
			}
			lines = append(lines, kind+": "+tg, kind+": "+tme)
		}
		if c.WebProxy.Enabled() {
			l := startup.WebLink(c.WebProxy, sec.Key)
			tg, tme := l.TG, l.TMe
			if s.o.HideLinks {
				tg, tme = hideSecret(tg, l.Secret), hideSecret(tme, l.Secret)
			}
			lines = append(lines, "secret "+label+" WEB proxy: "+tg, "secret "+label+" WEB proxy: "+tme)
		}
	}
	where := netip.AddrPortFrom(ext, uint16(c.Port)).String()
	if !ext.IsValid() {
		where = fmt.Sprintf("%s:%d", startup.Placeholder, c.Port)
	}
	r := okf("%s for %s at %s", plural(len(lines), "link", "links"), plural(len(c.Secrets), "secret", "secrets"), where)
	if !ext.IsValid() {
		r = warnf("%s for %s with the placeholder host %s: replace it with the server's public address, or set IP", plural(len(lines), "link", "links"), plural(len(c.Secrets), "secret", "secrets"), startup.Placeholder)
	}
	return r.note(lines...)
}

// hideSecret elides the secret of a link, keeping its dd/ee prefix so the
// kind of link still shows.
func hideSecret(link, secret string) string {
	return strings.Replace(link, "secret="+secret, "secret="+secret[:2]+"…", 1)
}
