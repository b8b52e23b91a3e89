package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// parseSecret parses one client secret: 32 hex digits, or leniently the
// "dd"-prefixed link form (dd + 32 hex) users copy from tg:// links. The
// FakeTLS link form (ee...) is refused with a pointer to TLS_DOMAIN. The
// value itself never appears in the error.
func parseSecret(s string, pos int) ([16]byte, error) {
	var key [16]byte
	s = strings.ToLower(s)
	if len(s) > 34 && strings.HasPrefix(s, "ee") {
		return key, invalid(fmt.Sprintf("secret %d is in the FakeTLS link form (ee + secret + domain); give the 32 hex digits and set TLS_DOMAIN instead", pos))
	}
	if len(s) == 34 && strings.HasPrefix(s, "dd") {
		s = s[2:]
	}
	if len(s) != 32 {
		return key, invalid(fmt.Sprintf("secret %d is %d characters long, not 32 hex characters", pos, len(s)))
	}
	if _, err := hex.Decode(key[:], []byte(s)); err != nil {
		return key, invalid(fmt.Sprintf("secret %d is not 32 hex characters (0-9, a-f)", pos))
	}
	return key, nil
}

// parseHex16 parses exactly 32 hex digits in any case (TAG).
func parseHex16(s string) ([16]byte, bool) {
	var b [16]byte
	if len(s) != 32 {
		return b, false
	}
	_, err := hex.Decode(b[:], []byte(strings.ToLower(s)))
	return b, err == nil
}

// parseName checks a secret name: [a-z0-9_-]{1,32}.
func parseName(s string, pos int) (string, error) {
	ok := len(s) <= 32
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
	}
	if !ok {
		return "", invalid(fmt.Sprintf("name %d %s is not 1-32 of a-z, 0-9, _ and -", pos, quote(s)))
	}
	return s, nil
}

// parsePrefix parses a CIDR, or a bare address meaning just that host.
func parsePrefix(s string, _ int) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, invalid(quote(s) + " is not a CIDR like 10.0.0.0/8 or fc00::/7")
}

// dcAddr is one DC_ADDRS item.
type dcAddr struct {
	id int
	ap netip.AddrPort
}

func (d dcAddr) String() string { return strconv.Itoa(d.id) + "=" + d.ap.String() }

// parseDCAddr parses "ID=ADDRESS:PORT": ID a non-zero int16 (negative for
// media DCs), ADDRESS an IP address (IPv6 in brackets). Host names are
// refused: the DCs are dialled by address, and resolving names at start-up
// would hide a typo behind a DNS failure.
func parseDCAddr(s string, _ int) (dcAddr, error) {
	idStr, addr, ok := strings.Cut(s, "=")
	if !ok {
		return dcAddr{}, invalid(quote(s) + " is not DC=ADDRESS:PORT")
	}
	id, err := strconv.Atoi(strings.TrimSpace(idStr))
	if err != nil || id == 0 || id < -32768 || id > 32767 {
		return dcAddr{}, invalid(quote(s) + " has a bad DC id (a non-zero number, negative for media DCs)")
	}
	addr = strings.TrimSpace(addr)
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		host, _, serr := net.SplitHostPort(addr)
		switch {
		case serr != nil:
			return dcAddr{}, invalid(quote(s) + " needs ADDRESS:PORT after = (IPv6 as [::1]:443)")
		case host != "" && !strings.ContainsAny(host, ":%") && net.ParseIP(host) == nil:
			return dcAddr{}, invalid(quote(s) + " has a host name; DC addresses must be IP addresses")
		}
		return dcAddr{}, invalid(quote(s) + " has a bad address or port")
	}
	if ap.Port() == 0 || ap.Addr().Zone() != "" {
		return dcAddr{}, invalid(quote(s) + " has a bad address or port")
	}
	return dcAddr{id: id, ap: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}, nil
}

// checkHostname lower-cases and checks a DNS host name (ASCII; use the
// punycode "xn--" form for international names). IP addresses are refused:
// they are not valid SNI values.
func checkHostname(s string) (string, error) {
	s = strings.ToLower(s)
	bad := invalid(quote(s) + " is not a valid host name")
	if len(s) > 253 || s == "" {
		return "", bad
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "", invalid(quote(s) + " is an IP address, not a host name")
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", bad
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", bad
			}
		}
	}
	return s, nil
}

// checkHostOrAddr accepts a host name or an IP address.
func checkHostOrAddr(s string) (string, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.String(), nil
	}
	return checkHostname(s)
}

// checkHostPort checks "HOST:PORT" (IPv6 in brackets).
func checkHostPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", invalid(quote(s) + " is not HOST:PORT")
	}
	if _, err := checkHostOrAddr(host); err != nil {
		return "", invalid(quote(s) + " has a bad host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", invalid(quote(s) + " has a bad port (1-65535)")
	}
	return s, nil
}

// parseNTPServer accepts HOST or HOST:PORT.
func parseNTPServer(s string, _ int) (string, error) {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return checkHostPort(s)
	}
	if _, err := checkHostOrAddr(s); err != nil {
		return "", invalid(quote(s) + " is not a host name, address or HOST:PORT")
	}
	return s, nil
}

// checkURL accepts an absolute http or https URL with a host.
func checkURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", invalid(quote(s) + " is not an http(s) URL")
	}
	return s, nil
}

func parseURL(s string, _ int) (string, error) { return checkURL(s) }

// parseAddr parses an IP address without a zone, unmapping IPv4-in-IPv6.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, invalid(quote(s) + " is not an IP address")
	}
	return a.Unmap(), nil
}

// parseNATInfo parses the official "LOCAL:PUBLIC" form: two IPv4
// addresses, or bracketed IPv6 ones ("[fd00::1]:[2001:db8::1]").
func parseNATInfo(s string) (NATInfo, error) {
	bad := invalid(quote(s) + " is not LOCAL:PUBLIC (two IP addresses, IPv6 in brackets)")
	var local, public string
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return NATInfo{}, bad
		}
		local, public = s[1:end], s[end+2:]
	} else {
		var ok bool
		if local, public, ok = strings.Cut(s, ":"); !ok {
			return NATInfo{}, bad
		}
	}
	public = strings.TrimSuffix(strings.TrimPrefix(public, "["), "]")
	l, err1 := parseAddr(local)
	p, err2 := parseAddr(public)
	if err1 != nil || err2 != nil || l.IsUnspecified() || p.IsUnspecified() {
		return NATInfo{}, bad
	}
	return NATInfo{Local: l, Public: p}, nil
}
