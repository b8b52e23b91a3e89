package startup

import (
	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
	"github.com/mtproxy/mtproxy/links"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
)

// Placeholder is the host written in links when the external IP is unknown.
const Placeholder = links.Placeholder

// Link is one way to reach the proxy with one secret.
type Link = links.Link

// Links returns the links printed for one secret (see [links.For]).
func Links(host string, port int, secret [16]byte, tlsDomain string) []Link {
	return links.For(host, port, secret, tlsDomain)
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
