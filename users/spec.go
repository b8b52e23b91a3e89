package users

import (
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// OtherLabel is the metric label of the users outside the top N; no user
// may be called so.
const OtherLabel = "other"

// MaxUsers bounds how many users one file may hold.
const MaxUsers = 100_000

// namePattern is what a user name may look like: it is used as a metric
// label, a URL path segment and a log field, so it is kept plain.
var namePattern = regexp.MustCompile(`^[a-z0-9_.-]{1,32}$`)

// ValidName reports whether s may be a user's name.
func ValidName(s string) bool { return namePattern.MatchString(s) && s != OtherLabel }

// Spec is one user as configured: who it is and what it may do. The zero
// values of the limits mean "unlimited".
type Spec struct {
	// Name identifies the user in logs, metrics, the API and the page.
	Name string
	// Key is the user's 16-byte secret.
	Key [16]byte
	// Enabled is false for a user whose clients are refused.
	Enabled bool
	// MaxConnections bounds the user's concurrent connections; 0: none.
	MaxConnections int
	// MaxIPs bounds the distinct client addresses (IPv4 addresses, IPv6
	// /64 prefixes) the user's connections come from at once; 0: none.
	MaxIPs int
	// Quota is the bytes (both directions) allowed per QuotaPeriod; 0: none.
	Quota       uint64
	QuotaPeriod Period
	// Expires is when the user stops being accepted; zero: never.
	Expires time.Time
	// RateLimit is the user's bandwidth in bytes per second, both
	// directions and all connections together; 0: none.
	RateLimit uint64
	// Tag is a per-user ad tag (32 hex) for middle mode; "": the proxy's.
	Tag string
	// Note is free text for the operator.
	Note string
	// Static marks a secret from SECRET (the environment), not from the
	// users file: it has no limits and is not written back to the file.
	Static bool
}

// Expired reports whether the user's expiry has passed at now.
func (s *Spec) Expired(now time.Time) bool {
	return !s.Expires.IsZero() && !now.Before(s.Expires)
}

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid user")

// Validate checks one user's fields.
func (s *Spec) Validate() error {
	if !s.Static && !namePattern.MatchString(s.Name) {
		return fmt.Errorf("%w: name %q: want 1 to 32 of a-z, 0-9, '_', '.', '-'", ErrInvalid, s.Name)
	}
	if s.Name == OtherLabel {
		return fmt.Errorf("%w: name %q is reserved for the metrics of the users outside the top N", ErrInvalid, s.Name)
	}
	if s.Key == ([16]byte{}) {
		return fmt.Errorf("%w %q: the secret is all zeros", ErrInvalid, s.Name)
	}
	if s.MaxConnections < 0 || s.MaxIPs < 0 {
		return fmt.Errorf("%w %q: max_connections and max_ips must be 0 (unlimited) or more", ErrInvalid, s.Name)
	}
	if s.Tag != "" {
		if _, err := ParseKey(s.Tag); err != nil {
			return fmt.Errorf("%w %q: tag: %v", ErrInvalid, s.Name, err)
		}
	}
	if len(s.Note) > 1024 {
		return fmt.Errorf("%w %q: note longer than 1024 bytes", ErrInvalid, s.Name)
	}
	return nil
}

// ParseKey parses a 32-hex-digit secret. The dd and ee client forms are
// refused here: a users file holds the bare secret.
func ParseKey(s string) ([16]byte, error) {
	var k [16]byte
	if len(s) != 32 {
		return k, fmt.Errorf("want 32 hex digits, got %d characters", len(s))
	}
	if _, err := hex.Decode(k[:], []byte(strings.ToLower(s))); err != nil {
		return k, errors.New("not hexadecimal")
	}
	return k, nil
}

// ValidateSet checks users together: each valid, names unique, secrets
// unique (two users with one secret could not be told apart), and at most
// MaxUsers.
func ValidateSet(specs []Spec) error {
	if len(specs) > MaxUsers {
		return fmt.Errorf("%w: %d users, at most %d", ErrInvalid, len(specs), MaxUsers)
	}
	names := make(map[string]int, len(specs))
	keys := make(map[[16]byte]int, len(specs))
	for i := range specs {
		s := &specs[i]
		if err := s.Validate(); err != nil {
			return err
		}
		if j, dup := names[s.Name]; dup {
			return fmt.Errorf("%w: name %q is used by users #%d and #%d", ErrInvalid, s.Name, j+1, i+1)
		}
		names[s.Name] = i
		if j, dup := keys[s.Key]; dup {
			return fmt.Errorf("%w %q: its secret is also user %q's", ErrInvalid, s.Name, specs[j].Name)
		}
		keys[s.Key] = i
	}
	return nil
}
