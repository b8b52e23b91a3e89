package users

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/mtproxy/mtproxy/internal/atomicfile"
)

// MaxFileSize bounds what is read from a users file: 10,000 users with
// notes fit in a few MiB.
const MaxFileSize = 64 << 20

// fileUser is one [[user]] table as written in the file.
type fileUser struct {
	Name           string    `toml:"name"`
	Secret         string    `toml:"secret"`
	Enabled        *bool     `toml:"enabled,omitempty"`
	MaxConnections int       `toml:"max_connections,omitempty"`
	MaxIPs         int       `toml:"max_ips,omitempty"`
	Quota          sizeField `toml:"quota,omitempty"`
	QuotaPeriod    string    `toml:"quota_period,omitempty"`
	Expires        timeField `toml:"expires,omitempty"`
	RateLimit      sizeField `toml:"rate_limit,omitempty"`
	Tag            string    `toml:"tag,omitempty"`
	Note           string    `toml:"note,omitempty"`
}

type fileDoc struct {
	User []fileUser `toml:"user"`
}

// sizeField is a size written as a TOML integer (bytes) or a string with a
// unit ("50GiB").
type sizeField struct {
	n   uint64
	set bool
}

func (f *sizeField) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return fmt.Errorf("%w %d: negative", ErrSize, x)
		}
		f.n = uint64(x)
	case string:
		n, err := ParseSize(x)
		if err != nil {
			return err
		}
		f.n = n
	default:
		return fmt.Errorf("%w: want a number of bytes or a string such as \"50GiB\", got %T", ErrSize, v)
	}
	f.set = true
	return nil
}

func (f sizeField) MarshalText() ([]byte, error) { return []byte(FormatSize(f.n)), nil }
func (f sizeField) IsZero() bool                 { return f.n == 0 }

// timeField is an RFC 3339 time: a TOML offset date-time or a string.
type timeField struct{ t time.Time }

func (f *timeField) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case time.Time:
		if strings.HasPrefix(x.Location().String(), "datetime-local") || strings.HasPrefix(x.Location().String(), "date-local") || strings.HasPrefix(x.Location().String(), "time-local") {
			return errors.New("expires: a date-time needs an offset (Z or +hh:mm), as RFC 3339 says")
		}
		f.t = x
	case string:
		t, err := time.Parse(time.RFC3339, x)
		if err != nil {
			return fmt.Errorf("expires %q: not an RFC 3339 time such as 2026-01-31T00:00:00Z", x)
		}
		f.t = t
	default:
		return fmt.Errorf("expires: want an RFC 3339 time, got %T", v)
	}
	return nil
}

func (f timeField) MarshalText() ([]byte, error) { return []byte(f.t.UTC().Format(time.RFC3339)), nil }
func (f timeField) IsZero() bool                 { return f.t.IsZero() }

// ParseFile parses and validates a users file. Any problem refuses the
// whole file, with an error naming the user and the field. Unknown keys
// are errors too, so a typo never silently drops a limit.
func ParseFile(data []byte) ([]Spec, error) {
	var doc fileDoc
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, 0, len(und))
		for _, k := range und {
			keys = append(keys, k.String())
		}
		return nil, fmt.Errorf("unknown keys: %s (a user has name, secret, enabled, max_connections, max_ips, quota, quota_period, expires, rate_limit, tag, note)", strings.Join(keys, ", "))
	}
	specs := make([]Spec, 0, len(doc.User))
	for i, u := range doc.User {
		s, err := u.spec()
		if err != nil {
			return nil, fmt.Errorf("user #%d (%q): %w", i+1, u.Name, err)
		}
		specs = append(specs, s)
	}
	if err := ValidateSet(specs); err != nil {
		return nil, err
	}
	return specs, nil
}

func (u *fileUser) spec() (Spec, error) {
	key, err := ParseKey(u.Secret)
	if err != nil {
		return Spec{}, fmt.Errorf("secret: %w", err)
	}
	period, err := ParsePeriod(u.QuotaPeriod)
	if err != nil {
		return Spec{}, err
	}
	s := Spec{
		Name: u.Name, Key: key, Enabled: u.Enabled == nil || *u.Enabled,
		MaxConnections: u.MaxConnections, MaxIPs: u.MaxIPs,
		Quota: u.Quota.n, QuotaPeriod: period, Expires: u.Expires.t, RateLimit: u.RateLimit.n,
		Tag: strings.ToLower(u.Tag), Note: u.Note,
	}
	return s, s.Validate()
}

// LoadFile reads and parses the users file at path.
func LoadFile(path string) ([]Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d MiB", MaxFileSize>>20)
	}
	return ParseFile(data)
}

// EncodeFile writes specs as a users file; static (environment) users are
// left out. ParseFile(EncodeFile(s)) gives s back.
func EncodeFile(specs []Spec) ([]byte, error) {
	var doc fileDoc
	for i := range specs {
		s := &specs[i]
		if s.Static {
			continue
		}
		u := fileUser{
			Name: s.Name, Secret: hex.EncodeToString(s.Key[:]),
			MaxConnections: s.MaxConnections, MaxIPs: s.MaxIPs,
			Quota: sizeField{n: s.Quota}, RateLimit: sizeField{n: s.RateLimit},
			Expires: timeField{s.Expires}, Tag: s.Tag, Note: s.Note,
		}
		if !s.Enabled {
			u.Enabled = new(bool)
		}
		if s.Quota > 0 {
			u.QuotaPeriod = s.QuotaPeriod.String()
		}
		doc.User = append(doc.User, u)
	}
	var b bytes.Buffer
	b.WriteString("# mtproxy users, written by the admin API. See deploy/users.example.toml.\n\n")
	if err := toml.NewEncoder(&b).Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile writes specs to path atomically (mode 0600: the file holds
// secrets).
func WriteFile(path string, specs []Spec) error {
	data, err := EncodeFile(specs)
	if err != nil {
		return err
	}
	return writeFile(path, data)
}

func writeFile(path string, data []byte) error { return atomicfile.Write(path, data, 0o600) }
