package startup

import (
	"encoding/hex"
	"net/url"
	"strconv"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// Placeholder is the host written in links when the external IP is unknown.
const Placeholder = "YOUR_SERVER_IP"

// Link is one way to reach the proxy with one secret.
type Link struct {
	// FakeTLS tells the ee (FakeTLS) form from the dd (padded intermediate) one.
	FakeTLS bool
	// Secret is the client-side secret string: "dd"+hex, or
	// "ee"+hex+hex(domain).
	Secret string
	// TG is the tg://proxy link, TMe the https://t.me/proxy one.
	TG, TMe string
}

// Links returns the links for one secret: the classic "dd"+hex form always
// (what users get by default), then "ee"+hex+hex(domain) when tlsDomain is
// set. host is the external address (IPv6 bare, no brackets) or name; ""
// means unknown and gives Placeholder.
func Links(host string, port int, secret [16]byte, tlsDomain string) []Link {
	if host == "" {
		host = Placeholder
	}
	hexSecret := hex.EncodeToString(secret[:])
	links := []Link{link(host, port, "dd"+hexSecret, false)}
	if tlsDomain != "" {
		links = append(links, link(host, port, "ee"+hexSecret+hex.EncodeToString([]byte(tlsDomain)), true))
	}
	return links
}

func link(host string, port int, secret string, faketls bool) Link {
	query := "server=" + queryHost(host) + "&port=" + strconv.Itoa(port) + "&secret=" + secret
	return Link{FakeTLS: faketls, Secret: secret, TG: "tg://proxy?" + query, TMe: "https://t.me/proxy?" + query}
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

// WebLink returns the WEB proxy links of a secret, in its dd form (padded
// intermediate, what Telegram Desktop then speaks): tg://webproxy and
// https://t.me/webproxy with the public host (and base path: v2 links).
// Port 443 is implied.
func WebLink(w config.WebProxy, secret [16]byte) wire.Link {
	return wire.Links(w.Host, w.BasePath, secret, wire.DD)
}

// webPath is the base path with its trailing slash, or "".
func webPath(w config.WebProxy) string {
	if w.BasePath == "" {
		return ""
	}
	return w.BasePath + "/"
}
