package clockskew

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ntpPort is the SNTP port used when a server names none.
const ntpPort = "123"

// ParseServers parses NTP_SERVERS: a comma-separated list of "host",
// "host:port", "[v6]" or "[v6]:port" entries; spaces around entries and
// empty entries are ignored. An empty list returns nil (the caller then
// uses the default). Errors wrap [ErrBadServer].
func ParseServers(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if _, err := serverAddress(f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// serverAddress turns one server entry into a dialable "host:port".
func serverAddress(s string) (string, error) {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrBadServer, s, why) }
	host, port := s, ntpPort
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", bad("missing ']'")
		}
		host = s[1:end]
		switch rest := s[end+1:]; {
		case rest == "":
		case rest[0] == ':':
			port = rest[1:]
		default:
			return "", bad("unexpected text after ']'")
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", bad("not an IPv6 address in brackets")
		}
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
	case strings.Count(s, ":") > 1:
		if _, err := netip.ParseAddr(s); err != nil {
			return "", bad("neither host:port nor an IPv6 address")
		}
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", bad("port must be 1..65535")
	}
	if !validHost(host) {
		return "", bad("not an IP address or host name")
	}
	return net.JoinHostPort(host, port), nil
}

// validHost accepts an IP address (a zone allowed for IPv6, named like an
// interface) or a DNS name.
func validHost(h string) bool {
	if a, err := netip.ParseAddr(h); err == nil {
		return validZone(a.Zone())
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !nameByte(label[i]) {
				return false
			}
		}
	}
	return true
}

// validZone accepts an IPv6 zone made of interface-name characters. netip
// takes any text after '%', but a zone holding ']' or ',' would not survive
// being joined into "[host]:port" and parsed back.
func validZone(z string) bool {
	for i := 0; i < len(z); i++ {
		if !nameByte(z[i]) && z[i] != '.' {
			return false
		}
	}
	return true
}

// nameByte reports whether c may stand in a host name's label or an
// interface name: an ASCII letter or digit, '-' or '_'.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
