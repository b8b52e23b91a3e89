package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/proxyheader"
	"github.com/mtproxy/mtproxy/proxy/replay"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// MaxSecrets is how many secrets one proxy accepts, as in the official proxy.
const MaxSecrets = 16

// Defaults of [Options], each documented on its field.
const (
	DefaultFrontingTimeout  = 30 * time.Second
	DefaultFrontingMaxBytes = 16 << 20
	// DefaultFrontingLifetime bounds a fronted connection however active:
	// long enough for a browser to load a page, short of what a prober
	// trickling bytes would hold.
	DefaultFrontingLifetime = 2 * time.Minute
	DefaultDrainTimeout     = 30 * time.Second
	// DefaultMaxUnauth and DefaultMaxUnauthPerIP bound the connections
	// not yet authenticated; a pooled ClientHello buffer (16 KiB) is held
	// by each while it handshakes.
	DefaultMaxUnauth      = 4096
	DefaultMaxUnauthPerIP = 64
	// DefaultTLSRecordInitial is the first FakeTLS record's payload after
	// the handshake: what fits a 1500-byte segment with TCP options, as
	// TLS servers with dynamic record sizing start.
	DefaultTLSRecordInitial = 1369
	// DefaultTLSRecordRamp is how many records grow to full size.
	DefaultTLSRecordRamp   = 8
	DefaultTimeSkew        = 2 * time.Minute
	DefaultReplayCacheSize = 65536
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
	// DefaultBulkBuffers is how many bulk relay buffers (BulkFactor times
	// BufferSize: 64 KiB at the default size, 16 MiB in all) may be lent
	// at once.
	DefaultBulkBuffers = 256
	// BulkFactor is the size of a bulk relay buffer in BufferSizes.
	BulkFactor = 4
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
	// FrontingLifetime bounds a fronting splice (or drain) from its start,
	// however active. Default: DefaultFrontingLifetime (2m).
	FrontingLifetime time.Duration
	// FrontingDial connects to the fronting host. Default: a dial of
	// FrontingAddr, resolving it every time; the binary passes a
	// proxy/fronthost cache, so a scan is no DNS flood.
	FrontingDial func(ctx context.Context) (net.Conn, error)
	// FrontingProxyProtocol sends a PROXY header of this version to the
	// fronting host before the client's bytes. Default proxyheader.Off.
	FrontingProxyProtocol proxyheader.Version
	// DrainTimeout is how long an unauthenticated client may stay silent
	// before it is closed when there is no fronting host, counted from
	// its last byte as a server's idle timeout is. Default:
	// DefaultDrainTimeout (30s).
	DrainTimeout time.Duration
	// UnknownSNI is what a FakeTLS ClientHello for another server name
	// gets. Default SNIFront.
	UnknownSNI SNIPolicy
	// OwnAddr tells this host's addresses, to recognise a connection that
	// carries our own fronted bytes back to us. Default: loopback only.
	OwnAddr func(netip.Addr) bool

	// TLSProfile gives the shape of FakeTLS answers: the fronting site's,
	// as probed (a proxy/tlsprofile Watcher). Default: a
	// faketls.FallbackProfile drawn at New.
	TLSProfile ProfileSource
	// TLSRecordInitial is the payload of the first FakeTLS record to a
	// client after the handshake; record sizes then grow by as much per
	// record until TLSRecordRamp records are out, then are full (16 KiB).
	// Default: DefaultTLSRecordInitial (1369); negative: full records from
	// the start.
	TLSRecordInitial int
	// TLSRecordRamp is how many records grow to full size. Default:
	// DefaultTLSRecordRamp (8); negative: full records from the start.
	TLSRecordRamp int

	// TimeSkew is the accepted distance between a FakeTLS client's timestamp
	// and our clock, both ways. A hello is remembered by the replay cache
	// until its timestamp plus TimeSkew, when the timestamp check starts
	// refusing it; handshakes without a unix timestamp (obfuscated2
	// headers, uptime timestamps) are remembered for 2 x TimeSkew.
	// Default: DefaultTimeSkew (2m).
	TimeSkew time.Duration
	// DisableUptimeTimestamps refuses FakeTLS clients whose timestamp is a
	// small number (an uptime, as some clients send) instead of unix time.
	// Default false: such a timestamp is accepted when it is at most the
	// proxy's own uptime plus TimeSkew; it binds the hello to no real
	// time, so its replay protection is the cache's 2 x TimeSkew alone.
	DisableUptimeTimestamps bool
	// ReplayCacheSize is how many handshakes the replay cache remembers
	// to refuse a second use; when it is full the entry that would expire
	// soonest is evicted first. Default: DefaultReplayCacheSize (65536).
	ReplayCacheSize int
	// ReplayCache is the replay cache to use, for instance one read back
	// from a file (replay.Read) so that a restart forgets nothing; the
	// caller may save it while the proxy runs. Default: a new cache of
	// ReplayCacheSize entries.
	ReplayCache *replay.Cache
	// SharedReplay is asked about every authenticated handshake the local
	// replay cache has not seen: the replay store of a fleet (STATE_URL),
	// so that a handshake accepted by another replica, or by this one
	// before a restart, is refused too. It must bound its own time.
	// Default: nil, the local cache alone.
	SharedReplay replay.Shared

	// Upstream carries authenticated clients to Telegram: a
	// proxy/direct.Direct or a proxy/middle.Middle. Required.
	Upstream Upstream

	// MaxConnections limits concurrent authenticated client connections;
	// a client authenticating over it is closed and counted. Default:
	// DefaultMaxConnections (60000).
	MaxConnections int
	// MaxUnauth limits the connections not yet authenticated (handshaking,
	// fronted or drained); at the limit the oldest is closed for the new
	// one. Default: DefaultMaxUnauth (4096).
	MaxUnauth int
	// MaxUnauthPerIP is the same limit per client address (IPv6: per
	// /64), at most MaxUnauth. Default: DefaultMaxUnauthPerIP (64).
	MaxUnauthPerIP int
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
	// BulkBuffers is how many bulk relay buffers, BulkFactor times
	// BufferSize, may be lent at once. A relay direction whose read
	// filled a whole buffer (bytes are queueing) reads into a bulk one
	// next, while any is free: a bulk transfer then takes a quarter of
	// the system calls (and of the kernel's per-packet work on the way),
	// and the memory it can make us hold stays bounded. A write of more
	// than BufferSize to an obfuscated2 client (a middle-mode answer of a
	// full buffer and its header) goes out in one too. Default:
	// DefaultBulkBuffers (256); negative: none.
	BulkBuffers int

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

// SNIPolicy is what a FakeTLS ClientHello for a server name other than
// TLSDomain gets: do what the real site does with a name it does not serve.
type SNIPolicy uint8

// SNI policies.
const (
	SNIFront  SNIPolicy = iota // fronted like any failed handshake (nginx serves its default site)
	SNIDrop                    // closed at once
	SNIReject                  // an unrecognized_name alert, then closed
	numSNIPolicies
)

var sniPolicyNames = [...]string{SNIFront: "front", SNIDrop: "drop", SNIReject: "reject"}

// One name per SNIPolicy: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(sniPolicyNames)-int(numSNIPolicies)]

// String returns the SNIPolicy's name.
func (s SNIPolicy) String() string { return enum.Name(sniPolicyNames[:], s) }

// ParseSNIPolicy parses "front", "drop" or "reject".
func ParseSNIPolicy(s string) (SNIPolicy, error) {
	for i, n := range sniPolicyNames {
		if n == s {
			return SNIPolicy(i), nil
		}
	}
	return 0, fmt.Errorf("proxy: unknown-SNI policy %q is not front, drop or reject", s)
}

// ProfileSource gives the profile FakeTLS answers are shaped after; it is
// asked on every FakeTLS handshake. *tlsprofile.Watcher implements it.
type ProfileSource interface {
	Profile() *faketls.ServerProfile
}

// fixedProfile is a ProfileSource of one profile.
type fixedProfile struct{ p *faketls.ServerProfile }

func (f fixedProfile) Profile() *faketls.ServerProfile { return f.p }

// ErrNoSecrets and friends are the configuration errors New returns.
var (
	ErrNoSecrets       = errors.New("proxy: at least one secret is required")
	ErrTooManySecrets  = fmt.Errorf("proxy: at most %d secrets are accepted", MaxSecrets)
	ErrTLSOnly         = errors.New("proxy: TLSOnly needs TLSDomain")
	ErrNoUpstream      = errors.New("proxy: an Upstream is required (proxy/direct or proxy/middle)")
	ErrSecretsAndUsers = errors.New("proxy: Secrets and Users exclude each other (static secrets go into Users)")
	ErrUnauthLimits    = errors.New("proxy: MaxUnauthPerIP must not exceed MaxUnauth")
)
