package proxy

import (
	"errors"
	"fmt"
	"io"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// MaxSecrets is how many secrets one proxy accepts, as in the official proxy.
const MaxSecrets = 16

// Defaults of [Options], each documented on its field.
const (
	DefaultFrontingTimeout  = 30 * time.Second
	DefaultFrontingMaxBytes = 16 << 20
	DefaultDrainTimeout     = 30 * time.Second
	DefaultTimeSkew         = 2 * time.Minute
	DefaultReplayCacheSize  = 65536
	// DefaultMaxConnections is the official proxy's connection limit of
	// one worker (its -C default); the binary's default limit is this
	// times WORKERS.
	DefaultMaxConnections   = 60000
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultKeepAlive        = 15 * time.Second
	DefaultBufferSize       = 16 << 10
	// MinBufferSize is the smallest relay buffer: smaller sizes are raised
	// to it.
	MinBufferSize = 1 << 10
	// DefaultIdleTimeout is how long a relayed client may carry no
	// traffic either way: the default of the upstreams' IdleTimeout
	// (proxy/direct and proxy/middle).
	DefaultIdleTimeout = 5 * time.Minute
)

// Secret is one client secret: the bare 16 bytes, and an optional name used
// instead of its index in logs and metrics. The key itself is never logged.
type Secret struct {
	Name string
	Key  [16]byte
}

// Label returns the name identifying secret i in logs and metric labels: its
// Name, or its index when unnamed.
func (s Secret) Label(i int) string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprint(i)
}

// Options configure a Proxy. The zero value of every field but Secrets and
// Upstream is a usable default, documented on the field.
type Options struct {
	// Secrets clients authenticate with: 1..16 of them. Required unless
	// Users is set; not allowed with it.
	Secrets []Secret
	// Users, when set, is the live set of secrets clients authenticate
	// with, with per-user admission, instead of Secrets (the caller makes
	// static secrets users of it); its size is not capped. Default nil:
	// Secrets.
	Users Users

	// TLSDomain enables FakeTLS ("ee" secrets): the SNI clients must present
	// and the site failed handshakes are fronted to. Default "": FakeTLS off.
	TLSDomain string
	// TLSOnly refuses obfuscated2 clients that do not wrap their stream in
	// FakeTLS; they are fronted like a bad ClientHello. Needs TLSDomain.
	// Default false: both are accepted.
	TLSOnly bool
	// FrontingAddr is the host:port failed handshakes are spliced to. Default:
	// TLSDomain:443 when TLSDomain is set, otherwise none (failed clients are
	// drained silently).
	FrontingAddr string
	// FrontingTimeout bounds a fronting splice's idle time. Default:
	// DefaultFrontingTimeout (30s).
	FrontingTimeout time.Duration
	// FrontingMaxBytes bounds the bytes one fronting splice carries each way.
	// Default: DefaultFrontingMaxBytes (16 MiB).
	FrontingMaxBytes int64
	// DrainTimeout bounds how long an unauthenticated client is read and
	// ignored when there is no fronting host. Default: DefaultDrainTimeout
	// (30s).
	DrainTimeout time.Duration

	// TimeSkew is the accepted distance between a FakeTLS client's timestamp
	// and our clock, both ways. Default: DefaultTimeSkew (2m).
	TimeSkew time.Duration
	// DisableUptimeTimestamps refuses FakeTLS clients whose timestamp is a
	// small number (an uptime, as some clients send) instead of unix time.
	// Default false: such timestamps are accepted.
	DisableUptimeTimestamps bool
	// ReplayCacheSize is how many handshakes are remembered to refuse
	// replays. Memory is about 40 bytes per entry. Default:
	// DefaultReplayCacheSize (65536).
	ReplayCacheSize int

	// Upstream carries authenticated clients to Telegram: a
	// proxy/direct.Direct or a proxy/middle.Middle. Required.
	Upstream Upstream

	// MaxConnections limits concurrent client connections; connections over
	// it are closed at once and counted. Default: DefaultMaxConnections
	// (60000).
	MaxConnections int
	// HandshakeTimeout bounds the client handshake. Default:
	// DefaultHandshakeTimeout (10s).
	HandshakeTimeout time.Duration
	// KeepAlive is the TCP keepalive period on client sockets. Default:
	// DefaultKeepAlive (15s); negative disables it.
	KeepAlive time.Duration
	// BufferSize is the size of the relay buffers, taken from a pool only
	// while bytes move. Default: DefaultBufferSize (16 KiB); at least
	// MinBufferSize (1 KiB).
	BufferSize int

	// Logger receives the engine's logs. Default: none (zap.NewNop).
	Logger *zap.Logger
	// Observer receives the engine's events. Default: [NopObserver].
	Observer Observer
	// TracerProvider creates the connection spans. Default: a no-op provider.
	TracerProvider trace.TracerProvider
	// Rand is the randomness source for headers and padding. Default crypto/rand.
	Rand io.Reader
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// ErrNoSecrets and friends are the configuration errors New returns.
var (
	ErrNoSecrets       = errors.New("proxy: at least one secret is required")
	ErrTooManySecrets  = fmt.Errorf("proxy: at most %d secrets are accepted", MaxSecrets)
	ErrTLSOnly         = errors.New("proxy: TLSOnly needs TLSDomain")
	ErrNoUpstream      = errors.New("proxy: an Upstream is required (proxy/direct or proxy/middle)")
	ErrSecretsAndUsers = errors.New("proxy: Secrets and Users exclude each other (static secrets go into Users)")
)
