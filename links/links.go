// Package links builds the tg://proxy and https://t.me/proxy links a
// Telegram client is configured with, from the proxy's external host and
// port and one client secret. The start-up log, `mtproxy doctor` and the
// users admin API (per-user links and QR codes) all use it, so a link looks
// the same wherever it is shown.
//
// IPv6 hosts are written bare in server= (server=2001:db8::7), without
// brackets: TDLib (td/utils/port/IPAddress.cpp init_host_port) parses a bare
// numeric IPv6 host through getaddrinfo and also strips brackets, but other
// clients hand server= to their socket layer as a host name, where
// "[2001:db8::7]" is not one. Colons are legal in a URL query, so the value
// is not percent-encoded.
package links

import (
	"encoding/hex"
	"net/url"
	"strconv"
)

// Placeholder is the host written in links when the external IP is unknown.
const Placeholder = "YOUR_SERVER_IP"

// Form is the shape of the secret carried by a link.
type Form string

// The secret forms a client understands.
const (
	// Plain is the bare 32 hex digits: the classic abridged and
	// intermediate transports (easiest to fingerprint; old clients).
	Plain Form = "plain"
	// Padded is "dd" + hex: padded intermediate, what users get by default.
	Padded Form = "dd"
	// FakeTLS is "ee" + hex + hex(domain): the stream looks like TLS 1.3
	// to the domain.
	FakeTLS Form = "ee"
)

// Link is one way to reach the proxy with one secret.
type Link struct {
	// Form is the secret's shape; FakeTLS tells the ee form from the others.
	Form    Form
	FakeTLS bool
	// Secret is the client-side secret string: hex, "dd"+hex, or
	// "ee"+hex+hex(domain).
	Secret string
	// TG is the tg://proxy link, TMe the https://t.me/proxy one.
	TG, TMe string
}

// For returns the links the start-up log prints for one secret: the classic
// "dd"+hex form always, then "ee"+hex+hex(domain) when tlsDomain is set.
// host is the external address (IPv6 bare, no brackets) or name; "" means
// unknown and gives Placeholder.
func For(host string, port int, secret [16]byte, tlsDomain string) []Link {
	links := []Link{New(host, port, secret, Padded, "")}
	if tlsDomain != "" {
		links = append(links, New(host, port, secret, FakeTLS, tlsDomain))
	}
	return links
}

// All returns every form of link for one secret: plain, dd and, when
// tlsDomain is set, ee.
func All(host string, port int, secret [16]byte, tlsDomain string) []Link {
	return append([]Link{New(host, port, secret, Plain, "")}, For(host, port, secret, tlsDomain)...)
}

// New returns the link of one form; tlsDomain is used by the FakeTLS form
// only.
func New(host string, port int, secret [16]byte, form Form, tlsDomain string) Link {
	if host == "" {
		host = Placeholder
	}
	s := hex.EncodeToString(secret[:])
	switch form {
	case Padded:
		s = "dd" + s
	case FakeTLS:
		s = "ee" + s + hex.EncodeToString([]byte(tlsDomain))
	}
	query := "server=" + queryHost(host) + "&port=" + strconv.Itoa(port) + "&secret=" + s
	return Link{Form: form, FakeTLS: form == FakeTLS, Secret: s, TG: "tg://proxy?" + query, TMe: "https://t.me/proxy?" + query}
}

// queryHost keeps addresses and host names readable (colons are legal in a
// query) and escapes anything else.
func queryHost(host string) string {
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == ':' || c == '-' || c == '_') {
			return url.QueryEscape(host)
		}
	}
	return host
}
