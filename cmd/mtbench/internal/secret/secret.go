package secret

import (
	"encoding/hex"
	"errors"
	"strings"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// Kind is the secret's link form.
type Kind uint8

// The forms of a secret.
const (
	Classic Kind = iota + 1 // 32 hex
	Padded                  // dd + 32 hex
	FakeTLS                 // ee + 32 hex + hex(domain)
	numKinds
)

var kindNames = [...]string{Classic: "classic", Padded: "dd", FakeTLS: "ee"}

// One name per Kind: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(kindNames)-int(numKinds)]

// String names the kind.
func (k Kind) String() string { return enum.Name(kindNames[:], k) }

// ErrSecret means the secret is in none of the accepted forms. Its message
// never contains the secret.
var ErrSecret = errors.New("secret: want 32 hex digits, dd+32 hex or ee+32 hex+hex(domain)")

// maxDomain bounds the FakeTLS domain (a DNS name is at most 253 bytes).
const maxDomain = 253

// Secret is a parsed client secret.
type Secret struct {
	Kind   Kind
	Key    [16]byte
	Domain string // FakeTLS only
}

// Parse reads a secret in link form. Surrounding spaces are ignored and hex
// is case-insensitive.
func Parse(s string) (Secret, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	var out Secret
	switch {
	case len(s) == 32:
		out.Kind = Classic
	case len(s) == 34 && strings.HasPrefix(s, "dd"):
		out.Kind, s = Padded, s[2:]
	case len(s) > 34 && strings.HasPrefix(s, "ee"):
		out.Kind, s = FakeTLS, s[2:]
	default:
		return Secret{}, ErrSecret
	}
	if _, err := hex.Decode(out.Key[:], []byte(s[:32])); err != nil {
		return Secret{}, ErrSecret
	}
	if out.Kind == FakeTLS {
		d, err := hex.DecodeString(s[32:])
		if err != nil || len(d) > maxDomain || !validDomain(d) {
			return Secret{}, ErrSecret
		}
		out.Domain = string(d)
	}
	return out, nil
}

// validDomain accepts host names made of letters, digits, '-' and '.'.
func validDomain(d []byte) bool {
	if len(d) == 0 {
		return false
	}
	for _, c := range d {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// String returns the secret in link form. It is the secret itself: never
// log it.
func (s Secret) String() string {
	k := hex.EncodeToString(s.Key[:])
	switch s.Kind {
	case Padded:
		return "dd" + k
	case FakeTLS:
		return "ee" + k + hex.EncodeToString([]byte(s.Domain))
	}
	return k
}
