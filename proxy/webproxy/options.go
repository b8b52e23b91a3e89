package webproxy

import (
	"context"
	"errors"
	"fmt"
	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"go.uber.org/zap"
)

// Defaults of Options, the reference relay's.
const (
	DefaultMaxSessions          = 128
	DefaultMaxStreamsPerSession = 128
	DefaultMaxStreams           = 4096
	DefaultMaxSessionPending    = 32 << 20
	DefaultMaxPending           = 512 << 20
	DefaultStreamBuffer         = 256 << 10
	DefaultWindowGrant          = 256 << 10
	DefaultMaxBootstraps        = 4096
	DefaultTombstones           = 4096
	DefaultBootstrapTTL         = 2 * time.Minute
	DefaultLongPoll             = 25 * time.Second
	DefaultIdleTimeout          = 75 * time.Second
	DefaultPingInterval         = 25 * time.Second
)

// Mode is how a session's frames travel between the page and the relay.
type Mode uint8

// The carrier modes.
const (
	// ModeHTTPS: same-origin HTTPS requests, an up sequence and a down
	// long poll. What every client supports (iOS speaks only this).
	ModeHTTPS Mode = iota
	// ModeWebSocket: one WebSocket per session after its creation.
	ModeWebSocket
	numModes
)

var modeNames = [...]string{ModeHTTPS: "https", ModeWebSocket: "websocket"}

// One name per Mode: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(modeNames)-int(numModes)]

func (m Mode) String() string { return enum.Name(modeNames[:], m) }

// ParseMode parses "https" or "websocket".
func ParseMode(s string) (Mode, error) {
	if m, ok := enum.Parse[Mode](modeNames[:], s); ok {
		return m, nil
	}
	return 0, fmt.Errorf("webproxy: carrier mode %q is not https or websocket", s)
}

// Engine serves the carried streams; *proxy.Proxy implements it.
type Engine interface {
	ServeCarried(ctx context.Context, conn net.Conn, c proxy.Carried) error
}

// Options configure a Carrier. Host, Secrets and Engine are required; the
// zero value of every other field is the default documented on it.
type Options struct {
	// Host is the public host name the clients' links carry (wire.CheckHost).
	Host string
	// BasePath moves the relay under /BasePath/ and selects the v2
	// capabilities; "" (the default) keeps it at the root with v1 ones.
	BasePath string
	// Mode is the carrier mode sessions are given. Default ModeHTTPS.
	Mode Mode
	// Secrets yields the secrets whose capabilities open the bridge page.
	Secrets SecretSource
	// Engine serves each stream.
	Engine Engine
	// Site answers everything that is not an authentic bridge request: the
	// operator's public site. Default: an empty 404 (see NotFound).
	Site http.Handler
	// TrustedProxies are the peers whose X-Forwarded-For is believed (the
	// TLS terminator in front). Default none: the peer is the client.
	TrustedProxies []netip.Prefix

	// MaxSessions bounds the sessions at once. Default: DefaultMaxSessions (128).
	MaxSessions int
	// MaxStreamsPerSession bounds one session's open streams. Default:
	// DefaultMaxStreamsPerSession (128).
	MaxStreamsPerSession int
	// MaxStreams bounds the streams of all sessions. Default:
	// DefaultMaxStreams (4096).
	MaxStreams int
	// MaxSessionPending bounds the bytes one session holds (queued each
	// way and sent but not acknowledged). Default: DefaultMaxSessionPending
	// (32 MiB); at least 4 MiB + StreamBuffer, so a stream never stalls.
	MaxSessionPending int64
	// MaxPending bounds the bytes all sessions hold. Default:
	// DefaultMaxPending (512 MiB).
	MaxPending int64
	// StreamBuffer bounds the engine's bytes one stream queues towards the
	// client. Default: DefaultStreamBuffer (256 KiB).
	StreamBuffer int
	// WindowGrant is how many bytes the engine reads before the relay
	// grants them back with a WINDOW. Default: DefaultWindowGrant (256 KiB).
	WindowGrant int
	// MaxBootstraps bounds the bootstrap tokens outstanding (the oldest
	// goes first). Default: DefaultMaxBootstraps (4096).
	MaxBootstraps int
	// Tombstones is how many closed stream ids a session remembers, and
	// ended session tokens the relay remembers. Default: DefaultTombstones
	// (4096).
	Tombstones int
	// BootstrapTTL is how long a page's bootstrap token is valid. Default:
	// DefaultBootstrapTTL (2m).
	BootstrapTTL time.Duration
	// LongPoll is how long a down poll is held when there is nothing to
	// send. Default: DefaultLongPoll (25s).
	LongPoll time.Duration
	// IdleTimeout ends a session no request (or WebSocket message) touched
	// for this long. Default: DefaultIdleTimeout (75s).
	IdleTimeout time.Duration
	// PingInterval is the WebSocket idle time after which the relay pings;
	// two silent periods close the socket. Default: DefaultPingInterval (25s).
	PingInterval time.Duration

	// Logger receives the carrier's logs. Default: none.
	Logger *zap.Logger
	// Observer receives the carrier's events. Default: NopObserver.
	Observer Observer
	// Rand makes tokens and nonces. Default crypto/rand.
	Rand io.Reader
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Configuration errors of New.
var (
	ErrNoEngine  = errors.New("webproxy: an Engine is required")
	ErrNoSecrets = errors.New("webproxy: a SecretSource is required")
)

func (o Options) withDefaults() (Options, error) {
	o.BasePath = strings.Trim(o.BasePath, "/")
	switch {
	case o.Engine == nil:
		return o, ErrNoEngine
	case o.Secrets == nil:
		return o, ErrNoSecrets
	}
	if err := wire.CheckHost(o.Host); err != nil {
		return o, err
	}
	if o.BasePath != "" {
		if err := wire.CheckBasePath(o.BasePath); err != nil {
			return o, err
		}
	}
	defaults.Set(&o.Site, NotFound())
	defaults.SetPositive(&o.MaxSessions, DefaultMaxSessions)
	defaults.SetPositive(&o.MaxStreamsPerSession, DefaultMaxStreamsPerSession)
	defaults.SetPositive(&o.MaxStreams, DefaultMaxStreams)
	defaults.SetPositive(&o.MaxSessionPending, DefaultMaxSessionPending)
	defaults.SetPositive(&o.MaxPending, DefaultMaxPending)
	defaults.SetPositive(&o.StreamBuffer, DefaultStreamBuffer)
	defaults.SetPositive(&o.WindowGrant, DefaultWindowGrant)
	defaults.SetPositive(&o.MaxBootstraps, DefaultMaxBootstraps)
	defaults.SetPositive(&o.Tombstones, DefaultTombstones)
	defaults.SetPositive(&o.BootstrapTTL, DefaultBootstrapTTL)
	defaults.SetPositive(&o.LongPoll, DefaultLongPoll)
	defaults.SetPositive(&o.IdleTimeout, DefaultIdleTimeout)
	defaults.SetPositive(&o.PingInterval, DefaultPingInterval)
	// A stream's pending bytes must fit the session's, or it could stall.
	o.MaxSessionPending = max(o.MaxSessionPending, int64(wire.InitialWindow+o.StreamBuffer))
	o.MaxPending = max(o.MaxPending, o.MaxSessionPending)
	defaults.Set(&o.Logger, zap.NewNop())
	defaults.Set[Observer](&o.Observer, NopObserver{})
	defaults.Set(&o.Rand, cryptoRand())
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
