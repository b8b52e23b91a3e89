package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/fronthost"
)

// checkFronting checks the site that clients failing the FakeTLS
// handshake (and active probes) are handed to: FRONTING_ADDR, else
// TLS_DOMAIN:443. It must resolve, answer TLS for TLS_DOMAIN with a valid
// certificate, and not be this proxy (a loop: every probe would connect
// back to itself). A fronting failure does not stop clients, so it warns;
// a loop fails.
func (s *session) checkFronting(ctx context.Context) Result {
	c := s.cfg
	if c.TLSDomain == "" {
		return skipf("FakeTLS off (no TLS_DOMAIN): nothing is fronted")
	}
	target, via := net.JoinHostPort(c.TLSDomain, "443"), "TLS_DOMAIN"
	if c.FrontingAddr != "" {
		target, via = c.FrontingAddr, "FRONTING_ADDR"
	}
	host, portStr, err := net.SplitHostPort(target)
	port, perr := strconv.Atoi(portStr)
	if err != nil || perr != nil {
		return failf("%s %s is not host:port", via, target)
	}
	addrs, err := s.resolve(ctx, host)
	if err != nil {
		return warnf("%s %s does not resolve: %s; probes of the proxy get no site", via, host, oneLine(err))
	}
	self := s.self()
	for _, a := range addrs {
		if self.Is(netip.AddrPortFrom(a, uint16(port))) {
			return failf("%s %s is this proxy (%s): a probe would be fronted to the proxy itself, in a loop; set FRONTING_ADDR to the real site", via, target, netip.AddrPortFrom(a, uint16(port)))
		}
	}
	aps := make([]netip.AddrPort, len(addrs))
	for i, a := range addrs {
		aps[i] = netip.AddrPortFrom(a, uint16(port))
	}
	hctx, cancel := s.timeout(ctx)
	defer cancel()
	start := time.Now()
	d := &dc.Dialer{Timeout: s.o.Timeout, DialContext: s.o.Dial}
	nc, used, err := d.Dial(hctx, aps, nil)
	if err != nil {
		return warnf("%s %s: %s; probes of the proxy get no site", via, target, dcprobe.Outcome{Result: dc.Classify(err), Err: err, Timeout: s.o.Timeout}.Describe())
	}
	defer nc.Close()
	tc := tls.Client(nc, &tls.Config{ServerName: c.TLSDomain, RootCAs: s.o.TLSRoots, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(hctx); err != nil {
		return warnf("%s %s (%s) answers no valid TLS for %s: %s; probes can tell the proxy from the site", via, target, used, c.TLSDomain, tlsFailure(err))
	}
	st := tc.ConnectionState()
	r := okf("%s (%s) answers %s with a certificate for %s in %s", target, used, tls.VersionName(st.Version), c.TLSDomain, fmtDur(time.Since(start)))
	if st.Version != tls.VersionTLS13 {
		r = r.note("FakeTLS imitates TLS 1.3; a site speaking " + tls.VersionName(st.Version) + " lets a probe tell them apart: pick a TLS 1.3 site").atLeast(Warn)
	}
	return r
}

// resolve returns the addresses of host (itself when a literal), within
// one timeout.
func (s *session) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	addrs, err := s.o.LookupIP(ctx, host)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) {
			return nil, errors.New(de.Err)
		}
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("no address")
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, nil
}

// self describes where this proxy listens for clients: its port on an
// address it listens on (BIND when one address, else any of this host's:
// loopback, the internal address) or on the external address, which a NAT
// forwards to it.
func (s *session) self() fronthost.Self {
	r := s.addrs().res
	return fronthost.Self{
		Port: s.cfg.Port, Bind: s.cfg.Bind,
		External: []netip.Addr{s.cfg.IP, r.External, r.External6},
		Local:    []netip.Addr{s.cfg.InternalIP, r.Internal, r.Internal6},
	}
}

// tlsFailure words a failed TLS handshake.
func tlsFailure(err error) string {
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return "certificate: " + ce.Err.Error()
	}
	return oneLine(err)
}
