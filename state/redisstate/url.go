package redisstate

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// DefaultPrefix is the key prefix when STATE_URL gives none.
const DefaultPrefix = "mtproxy:"

// maxPrefix bounds the key prefix.
const maxPrefix = 64

// ErrURL is wrapped by every error of ParseURL. Its text never holds the
// URL's password.
var ErrURL = errors.New("invalid STATE_URL")

// Config is a parsed STATE_URL: the client's options and the key prefix.
type Config struct {
	// Redis are the go-redis client options (address, user, password,
	// database, TLS, the client's own timeouts).
	Redis *redis.Options
	// Prefix starts every key this proxy writes, so that several fleets
	// (or other applications) can share one server.
	Prefix string
}

// ParseURL parses a STATE_URL:
//
//	redis://[user[:password]@]host[:port][/db][?prefix=mtproxy:&ca_file=/etc/ca.pem]
//	rediss://...   (TLS, verified against the system roots or ca_file)
//
// The address, credentials, database and the client's query options
// (dial_timeout, read_timeout, pool_size, ...) are go-redis's own URL
// syntax (redis.ParseURL); prefix (default DefaultPrefix) and ca_file
// are this proxy's. Retries are turned off: a replayed SET NX or INCRBY
// would count twice. Errors never quote the password.
func ParseURL(raw string) (*Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	password, _ := u.User.Password()
	fail := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "xxxxx")
		}
		return fmt.Errorf("%w: %s", ErrURL, msg)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fail("scheme %q: want redis:// or rediss:// (TLS)", u.Scheme)
	}
	if u.Host == "" {
		return nil, fail("no host: want redis://host:6379")
	}
	q := u.Query()
	c := &Config{Prefix: DefaultPrefix}
	if q.Has("prefix") {
		c.Prefix = q.Get("prefix")
		q.Del("prefix")
		if err := checkPrefix(c.Prefix); err != nil {
			return nil, fail("prefix: %v", err)
		}
	}
	caFile := q.Get("ca_file")
	q.Del("ca_file")
	if caFile != "" && u.Scheme != "rediss" {
		return nil, fail("ca_file needs rediss:// (TLS)")
	}
	u.RawQuery = q.Encode()
	o, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, fail("%v", err)
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fail("ca_file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fail("ca_file %s: no PEM certificate in it", caFile)
		}
		o.TLSConfig.RootCAs = pool
	}
	o.MaxRetries = -1
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c.Redis = o
	return c, nil
}

// checkPrefix accepts up to maxPrefix printable ASCII characters, no
// spaces.
func checkPrefix(p string) error {
	if len(p) > maxPrefix {
		return fmt.Errorf("longer than %d characters", maxPrefix)
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] > '~' {
			return fmt.Errorf("%q: printable ASCII without spaces only", p)
		}
	}
	return nil
}

// Redacted returns the URL as it may be logged: the password replaced.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}
