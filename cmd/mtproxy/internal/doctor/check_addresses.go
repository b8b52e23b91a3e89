package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/startup"
	"github.com/mtproxy/mtproxy/health/netinfo"
)

// addrFacts is what netinfo found.
type addrFacts struct {
	res netinfo.Result
	err error
}

// external is the address put in the links and the RPC handshake: IPv4,
// else IPv6; zero when unknown.
func (a addrFacts) external() netip.Addr {
	if a.res.External.IsValid() {
		return a.res.External
	}
	return a.res.External6
}

// public is our address as a peer on the Internet sees it, for a
// connection from local: local itself when routable, else the external
// address of its family, else local (a private network end to end).
func (a addrFacts) public(local netip.Addr) netip.Addr {
	local = local.Unmap()
	switch {
	case routable(local):
		return local
	case local.Is4() && a.res.External.IsValid():
		return a.res.External
	case local.Is6() && a.res.External6.IsValid():
		return a.res.External6
	}
	return local
}

// routable: a global unicast address outside the private ranges and the
// carrier-grade NAT range 100.64.0.0/10 (RFC 6598).
func routable(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate() && !netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

func (s *session) detectAddrs() addrFacts {
	res, err := netinfo.Detect(s.ctx, netinfo.Options{
		ConfiguredIP:         s.cfg.IP,
		ConfiguredInternalIP: s.cfg.InternalIP,
		DetectURLs:           s.cfg.IPDetectURLs,
		DetectURLs6:          s.o.DetectURLs6,
		DisableIPv6:          s.cfg.PreferIP == config.OnlyIPv4,
		Timeout:              s.o.Timeout,
		HTTPClient:           s.o.HTTPClient,
		RouteProbe:           s.o.RouteProbe,
	}, nil)
	return addrFacts{res: res, err: err}
}

// checkAddresses reports the NAT state. An unknown external address is a
// warning (the links get a placeholder), and a failure in middle mode when
// the host's own address is private: the RPC keys would then mix in an
// address the middle proxies do not see.
func (s *session) checkAddresses(context.Context) Result {
	a := s.addrs()
	r := a.res
	var out Result
	switch r.State {
	case netinfo.Public:
		out = okf("public: %s (%s)", r.External, r.Source)
	case netinfo.BehindNAT:
		out = okf("behind NAT: internal %s, external %s (%s)", r.Internal, r.External, r.Source)
		if nat := r.NATInfo(); nat != "" && s.usesMiddle() {
			out.Detail += "; the middle proxies see " + r.External.String() + " (NAT_INFO " + nat + ")"
		}
	case netinfo.Mismatch:
		out = warnf("configured external %s does not match what the look-ups see", a.external())
	default:
		out = s.unknownAddress(a)
	}
	if r.State != netinfo.Unknown && r.External6.IsValid() && r.External.IsValid() {
		out.Detail += fmt.Sprintf("; IPv6 %s", r.External6)
	}
	out = out.note(r.Warnings...)
	if out.Status == OK && len(r.Warnings) > 0 {
		out.Status = Warn
	}
	return out
}

func (s *session) unknownAddress(a addrFacts) Result {
	r := a.res
	var known []string
	if r.Internal.IsValid() {
		known = append(known, "internal "+r.Internal.String())
	}
	if ext := a.external(); ext.IsValid() {
		known = append(known, "external "+ext.String())
	}
	detail := "unknown"
	if len(known) > 0 {
		detail = "incomplete: " + strings.Join(known, ", ")
	}
	out := warnf("%s; links show %s: set IP (and INTERNAL_IP or NAT_INFO behind NAT)", detail, startup.Placeholder)
	if a.external().IsValid() {
		out.Detail = detail + "; set INTERNAL_IP or NAT_INFO if behind NAT"
	}
	if s.usesMiddle() && !a.external().IsValid() && !routable(r.Internal) {
		if s.cfg.Mode == config.ModeMiddle {
			out = failf("%s: the middle proxies will not see the address the RPC keys use; set IP or NAT_INFO", detail)
		} else {
			out = out.note("the middle proxies will not see the address the RPC keys use, and MODE=auto would serve clients directly; set IP or NAT_INFO")
		}
	}
	return out.note(errLines(a.err)...)
}
