package webproxy

import (
	"context"
	"errors"
	"fmt"
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
)

func (m Mode) String() string {
	if m == ModeWebSocket {
		return "websocket"
	}
	return "https"
}

// ParseMode parses "https" or "websocket".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "https":
		return ModeHTTPS, nil
	case "websocket":
		return ModeWebSocket, nil
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

	// MaxSessions bounds the sessions at once. Default 128.
	MaxSessions int
	// MaxStreamsPerSession bounds one session's open streams. Default 128.
	MaxStreamsPerSession int
	// MaxStreams bounds the streams of all sessions. Default 4096.
	MaxStreams int
	// MaxSessionPending bounds the bytes one session holds (queued each
	// way and sent but not acknowledged). Default 32 MiB.
	MaxSessionPending int64
	// MaxPending bounds the bytes all sessions hold. Default 512 MiB.
	MaxPending int64
	// StreamBuffer bounds the engine's bytes one stream queues towards the
	// client. Default 256 KiB.
	StreamBuffer int
	// WindowGrant is how many bytes the engine reads before the relay
	// grants them back with a WINDOW. Default 256 KiB.
	WindowGrant int
	// MaxBootstraps bounds the bootstrap tokens outstanding (the oldest
	// goes first). Default 4096.
	MaxBootstraps int
	// Tombstones is how many closed stream ids a session remembers, and
	// ended session tokens the relay remembers. Default 4096.
	Tombstones int
	// BootstrapTTL is how long a page's bootstrap token is valid. Default 2m.
	BootstrapTTL time.Duration
	// LongPoll is how long a down poll is held when there is nothing to
	// send. Default 25s.
	LongPoll time.Duration
	// IdleTimeout ends a session no request (or WebSocket message) touched
	// for this long. Default 75s.
	IdleTimeout time.Duration
	// PingInterval is the WebSocket idle time after which the relay pings;
	// two silent periods close the socket. Default 25s.
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
	if o.Site == nil {
		o.Site = NotFound()
	}
	def(&o.MaxSessions, DefaultMaxSessions)
	def(&o.MaxStreamsPerSession, DefaultMaxStreamsPerSession)
	def(&o.MaxStreams, DefaultMaxStreams)
	def(&o.MaxSessionPending, DefaultMaxSessionPending)
	def(&o.MaxPending, DefaultMaxPending)
	def(&o.StreamBuffer, DefaultStreamBuffer)
	def(&o.WindowGrant, DefaultWindowGrant)
	def(&o.MaxBootstraps, DefaultMaxBootstraps)
	def(&o.Tombstones, DefaultTombstones)
	def(&o.BootstrapTTL, DefaultBootstrapTTL)
	def(&o.LongPoll, DefaultLongPoll)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.PingInterval, DefaultPingInterval)
	// A stream's pending bytes must fit the session's, or it could stall.
	o.MaxSessionPending = max(o.MaxSessionPending, int64(wire.InitialWindow+o.StreamBuffer))
	o.MaxPending = max(o.MaxPending, o.MaxSessionPending)
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.Rand == nil {
		o.Rand = cryptoRand()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

func def[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
