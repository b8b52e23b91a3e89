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
	ModeAuto   bool
	// Warnings are printed as "[!]" lines.
	Warnings []config.Warning
	// WebProxy adds the WEB proxy links when it is enabled.
	WebProxy config.WebProxy
}

// FromConfig takes the Input from a loaded Config, the external IP found at
// start-up (zero when unknown) and Load's warnings.
func FromConfig(c *config.Config, externalIP netip.Addr, warnings []config.Warning) Input {
	return Input{
		Secrets: c.Secrets, SecretSource: c.SecretSource, SecretFile: c.SecretFile, SecretFileSaved: c.SecretFileSaved,
		Tag: c.Tag, HasTag: c.HasTag, ExternalIP: externalIP, Port: c.Port,
		TLSDomain: c.TLSDomain, TLSOnly: c.TLSOnly, Mode: c.Mode, ModeAuto: c.ModeAuto,
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

func modeLine(in Input) string {
	switch {
	case !in.ModeAuto:
		return fmt.Sprintf("%s (MODE=%s)", in.Mode, in.Mode)
	case in.Mode == config.ModeMiddle:
		return "middle (TAG is set)"
	default:
		return fmt.Sprintf("%s (no TAG)", in.Mode)
	}
}

// FatalLine renders a fatal error as the seed did: "[F] ..." on one line.
func FatalLine(err error) string {
	return "[F] " + oneLine(err.Error())
}

func oneLine(s string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}
