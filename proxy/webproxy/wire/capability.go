package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// The capability's labels, by version: v1 for a relay at the root of its
// host, v2 for one under a base path.
const (
	labelV1 = "tdesktop-web-proxy-bridge-v1\n"
	labelV2 = "tdesktop-web-proxy-bridge-v2\n"
)

// CapabilityLen is the length of a capability: base64url, no padding, of
// 32 bytes.
const CapabilityLen = 43

// DDPrefix is the byte that marks the dd (padded intermediate) form of a
// secret; it is part of the HMAC key of that form's capability.
const DDPrefix = 0xdd

// linkV2Prefix is the byte put before the secret in a v2 link.
const linkV2Prefix = 0x70

// Errors of host and base path validation.
var (
	// ErrBadHost means a host that is not a lowercase DNS name (an A-label)
	// with at least one dot, or that is an IP address or carries a port.
	ErrBadHost = errors.New("wire: bad web proxy host")
	// ErrBadBasePath means a base path with characters outside
	// [A-Za-z0-9._~-], empty segments, or "." or ".." segments.
	ErrBadBasePath = errors.New("wire: bad web proxy base path")
)

// Form is how a secret is written in a link: plain, or with the dd prefix.
// The two forms select different capabilities.
type Form uint8

// The forms.
const (
	Plain Form = iota // the 16 bytes
	DD                // 0xdd then the 16 bytes
)

// SecretBytes returns key in the given form: the HMAC key of its
// capability.
func SecretBytes(key [16]byte, f Form) []byte {
	if f == DD {
		return append([]byte{DDPrefix}, key[:]...)
	}
	return append([]byte(nil), key[:]...)
}

// Capability returns the capability of a secret (in its link form: 16
// bytes, or 17 with the dd prefix) for host and base path; basePath ""
// gives the v1 capability, any other the v2 one. The result is the value
// of the bridge page's bridge= parameter.
func Capability(secret []byte, host, basePath string) string {
	var sum [sha256.Size]byte
	CapabilitySum(&sum, secret, host, basePath)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CapabilitySum writes the capability's raw 32 bytes into sum.
func CapabilitySum(sum *[sha256.Size]byte, secret []byte, host, basePath string) {
	m := hmac.New(sha256.New, secret)
	if basePath == "" {
		m.Write([]byte(labelV1 + host))
	} else {
		m.Write([]byte(labelV2 + host + "\n" + basePath))
	}
	m.Sum(sum[:0])
}

// DecodeCapability decodes a capability's 43 characters into its 32 bytes.
// It reports false for anything else, including non-canonical encodings.
func DecodeCapability(s string) (sum [sha256.Size]byte, ok bool) {
	if len(s) != CapabilityLen {
		return sum, false
	}
	n, err := base64.RawURLEncoding.Strict().Decode(sum[:], []byte(s))
	return sum, err == nil && n == len(sum)
}

// CheckHost checks a web proxy host: a lowercase DNS name of A-labels
// (international names in their xn-- form) with at least one dot, no IP
// address, no port, no trailing dot.
func CheckHost(h string) error {
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return fmt.Errorf("%w: %q is an IP address", ErrBadHost, h)
	}
	if strings.Contains(h, ":") {
		return fmt.Errorf("%w: %q has a port", ErrBadHost, h)
	}
	if len(h) > 253 || !strings.Contains(h, ".") {
		return fmt.Errorf("%w: %q is not a name with a dot", ErrBadHost, h)
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("%w: %q has an empty, long or dash-edged label", ErrBadHost, h)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%w: %q has characters outside a-z, 0-9 and -", ErrBadHost, h)
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("%w: %q has a numeric top-level label", ErrBadHost, h)
	}
	return nil
}

// CheckBasePath checks a base path, given without its leading and
// trailing slashes: segments of [A-Za-z0-9._~-] separated by single
// slashes, none of them "." or "..".
func CheckBasePath(p string) error {
	if p == "" || len(p) > 200 {
		return fmt.Errorf("%w: %d characters", ErrBadBasePath, len(p))
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, . or .. segment", ErrBadBasePath, p)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._~-", c) >= 0) {
				return fmt.Errorf("%w: %q has characters outside A-Z, a-z, 0-9 and ._~-", ErrBadBasePath, p)
			}
		}
	}
	return nil
}

// Link is one secret's pair of web proxy links.
type Link struct {
	// Form is the secret's form in the link.
	Form Form
	// Server and Secret are the links' query values, unescaped.
	Server, Secret string
	// TG is the tg://webproxy link, TMe the https://t.me/webproxy one.
	TG, TMe string
}

// Links returns the web proxy links of key in the given form, for host and
// base path (v1 links when basePath is "", v2 links otherwise). Port 443
// is implied: the links carry none.
func Links(host, basePath string, key [16]byte, f Form) Link {
	secret := SecretBytes(key, f)
	l := Link{Form: f, Server: host, Secret: hex.EncodeToString(secret)}
	if basePath != "" {
		l.Server = host + "/" + basePath
		l.Secret = base64.RawURLEncoding.EncodeToString(append([]byte{linkV2Prefix}, secret...))
	}
	q := "server=" + url.QueryEscape(l.Server) + "&secret=" + url.QueryEscape(l.Secret)
	l.TG, l.TMe = "tg://webproxy?"+q, "https://t.me/webproxy?"+q
	return l
}
