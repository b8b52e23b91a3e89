package startup

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
)

// Input is what the start-up block shows.
type Input struct {
	Secrets         []config.Secret
	SecretSource    config.SecretSource
	SecretFile      string
	SecretFileSaved bool
	Tag             [16]byte
	HasTag          bool
	// ExternalIP is the address in the links; the zero Addr means unknown.
	ExternalIP netip.Addr
	Port       int
	TLSDomain  string
	TLSOnly    bool
	Mode       config.Mode
	// Files says, in MODE=auto, whether Telegram's files were in at start
	// and where from: it decides the path the clients take first.
	Files Files
	// Warnings are printed as "[!]" lines.
	Warnings []config.Warning
	// WebProxy adds the WEB proxy links when it is enabled.
	WebProxy config.WebProxy
}

// Files is where Telegram's files in use at start came from (MODE=auto).
type Files uint8

// The Files values.
const (
	// FilesNone: neither downloaded nor cached; MODE=auto serves
	// directly until they download.
	FilesNone Files = iota
	// FilesDownloaded: downloaded at start.
	FilesDownloaded
	// FilesCached: read from PROXY_SECRET_FILE / PROXY_CONFIG_FILE
	// because the download failed.
	FilesCached
)

// FromConfig takes the Input from a loaded Config, the external IP found at
// start-up (zero when unknown) and Load's warnings. Files, known once the
// upstream has started, is left for the caller (FilesNone).
func FromConfig(c *config.Config, externalIP netip.Addr, warnings []config.Warning) Input {
	return Input{
		Secrets: c.Secrets, SecretSource: c.SecretSource, SecretFile: c.SecretFile, SecretFileSaved: c.SecretFileSaved,
		Tag: c.Tag, HasTag: c.HasTag, ExternalIP: externalIP, Port: c.Port,
		TLSDomain: c.TLSDomain, TLSOnly: c.TLSOnly, Mode: c.Mode,
		Warnings: warnings, WebProxy: c.WebProxy,
	}
}

// Lines returns the seed's start-up block.
func Lines(in Input) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	n := len(in.Secrets)
	what := "secret"
	if n != 1 {
		what = fmt.Sprintf("%d secrets", n)
	}
	switch in.SecretSource {
	case config.SecretsFromEnv:
		if n == 1 {
			add("[+] Using the explicitly passed secret.")
		} else {
			add("[+] Using the %d explicitly passed secrets.", n)
		}
	case config.SecretsFromFile:
		add("[+] Using the %s from SECRET_FILE %s.", what, in.SecretFile)
	case config.SecretsGenerated:
		add("[+] No secret passed. Will generate %d random ones.", n)
		if in.SecretFileSaved {
			add("[+] Saved to SECRET_FILE %s: reused at the next start.", in.SecretFile)
		}
	}
	if in.HasTag {
		add("[+] Using the explicitly passed tag: '%s'.", hex.EncodeToString(in.Tag[:]))
	}
	for _, w := range in.Warnings {
		add("[!] %s", oneLine(string(w)))
	}
	if w := modeWarning(in); w != "" {
		add("[!] %s", w)
	}
	host := ""
	if in.ExternalIP.IsValid() {
		host = in.ExternalIP.WithZone("").Unmap().String()
	} else {
		add("[!] The external IP is unknown: the links below use %s; replace it, or set IP to the server's public address.", Placeholder)
	}

	add("")
	add("[*] Final configuration:")
	for i, s := range in.Secrets {
		label := fmt.Sprint(i + 1)
		title := label
		if s.Name != "" {
			title = label + " (" + s.Name + ")"
		}
		add("[*]   Secret %s: %s", title, hex.EncodeToString(s.Key[:]))
		for _, l := range Links(host, in.Port, s.Key, in.TLSDomain) {
			switch {
			case !l.FakeTLS && in.TLSOnly:
				continue // refused by TLS_ONLY
			case !l.FakeTLS:
				add("[*]   tg:// link for secret %s auto configuration: %s", label, l.TG)
				add("[*]   t.me link for secret %s: %s", label, l.TMe)
			default:
				add("[*]   tg:// link for secret %s with FakeTLS (%s): %s", label, in.TLSDomain, l.TG)
				add("[*]   t.me link for secret %s with FakeTLS (%s): %s", label, in.TLSDomain, l.TMe)
			}
		}
		if in.WebProxy.Enabled() {
			l := WebLink(in.WebProxy, s.Key)
			add("[*]   tg:// WEB proxy link for secret %s: %s", label, l.TG)
			add("[*]   t.me WEB proxy link for secret %s: %s", label, l.TMe)
		}
	}
	if in.HasTag {
		add("[*]   Tag: %s", hex.EncodeToString(in.Tag[:]))
	} else {
		add("[*]   Tag: no tag")
	}
	if host != "" {
		add("[*]   External IP: %s", host)
	} else {
		add("[*]   External IP: unknown")
	}
	add("[*]   Mode: %s", modeLine(in))
	if w := in.WebProxy; w.Enabled() {
		add("[*]   WEB proxy (experimental): https://%s/%s behind your TLS terminator, HTTP on %s, %s mode", w.Host, webPath(w), w.Listen, w.Mode)
	}
	if in.TLSDomain != "" {
		if in.TLSOnly {
			add("[*]   FakeTLS: %s, only (TLS_ONLY: clients without FakeTLS are refused)", in.TLSDomain)
		} else {
			add("[*]   FakeTLS: %s", in.TLSDomain)
		}
	}
	add("[*]   Make sure to fix the links in case you run the proxy on a different port.")
	add("")
	return out
}

// modeLine is the mode in use and why.
func modeLine(in Input) string {
	if in.Mode != config.ModeAuto {
		return fmt.Sprintf("%s (MODE=%s)", in.Mode, in.Mode)
	}
	switch in.Files {
	case FilesDownloaded:
		return "middle (auto: Telegram's files downloaded)"
	case FilesCached:
		return "middle (auto: Telegram's files loaded from cache)"
	}
	return "direct for now (auto: no Telegram files yet; switching to middle when they download)"
}

// mediaWarning is what direct mode costs, in the operator's words.
const mediaWarning = "Telegram does not load photos, videos and stories of accounts without Premium through a proxy that connects straight to the DCs"

// modeWarning is the "[!]" line of a mode that serves clients directly.
func modeWarning(in Input) string {
	switch {
	case in.Mode == config.ModeDirect:
		return "MODE=direct: " + mediaWarning + ". Use MODE=auto (the default) unless that is what you want."
	case in.Mode == config.ModeAuto && in.Files == FilesNone:
		w := "Telegram's proxy files could not be downloaded (PROXY_SECRET_URL, PROXY_CONFIG_URL) and none is cached: " +
			"clients are served directly until they download, and meanwhile photos, videos and stories of accounts without Premium do not load"
		if in.HasTag {
			w += " and the TAG is not sent"
		}
		return w + "."
	}
	return ""
}

// FatalLine renders a fatal error as the seed did: "[F] ..." on one line.
func FatalLine(err error) string {
	return "[F] " + oneLine(err.Error())
}

func oneLine(s string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}
