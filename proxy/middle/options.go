package middle

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// Defaults of [Options], each documented on its field.
const (
	DefaultProxySecretURL   = "https://core.telegram.org/getProxySecret"
	DefaultProxyConfigURL   = "https://core.telegram.org/getProxyConfig"
	DefaultProxyConfigURLv6 = "https://core.telegram.org/getProxyConfigV6"
	DefaultRefreshInterval  = time.Hour
	DefaultHTTPTimeout      = 30 * time.Second
	DefaultStartRetryMin    = 5 * time.Second
	DefaultStartRetryMax    = time.Minute
	// DefaultMinConnections and DefaultMaxConnections are the official
	// proxy's, used when neither Options nor Telegram's config set them.
	DefaultMinConnections     = 4
	DefaultMaxConnections     = 8
	DefaultConnClients        = 256
	DefaultDialTimeout        = 5 * time.Second
	DefaultHandshakeTimeout   = 3 * time.Second
	DefaultReconnectMin       = time.Second
	DefaultReconnectMax       = time.Minute
	DefaultPingInterval       = 10 * time.Second
	DefaultWriteTimeout       = 10 * time.Second
	DefaultReadyWait          = 2 * time.Second
	DefaultMemoryBudget       = 256 << 20
	DefaultClientQueueBytes   = 2 << 20
	DefaultClientWriteTimeout = 30 * time.Second
)

// Options configure a [Middle]. The zero value of every field is a usable
// default, documented on the field.
type Options struct {
	// AdTag is sent with every query. Default nil: no tag (proxy_tag_set 0).
	AdTag *rpc.AdTag

	// ProxySecretURL is where getProxySecret is downloaded. Default:
	// DefaultProxySecretURL.
	ProxySecretURL string
	// ProxyConfigURL is where getProxyConfig is downloaded. Default:
	// DefaultProxyConfigURL, or DefaultProxyConfigURLv6 when IPv6 is set.
	ProxyConfigURL string
	// IPv6 selects the IPv6 config by default (PREFER_IP prefers or
	// requires IPv6). Default false.
	IPv6 bool
	// ProxySecretFile and ProxyConfigFile cache the files (written
	// atomically after each successful download, read when a download
	// fails). Default "": no cache, so a failed first download is fatal.
	ProxySecretFile, ProxyConfigFile string
	// RefreshInterval is how often both files are downloaded again, with
	// ±10% jitter; after a failure the next try comes after at most 5m.
	// Default: DefaultRefreshInterval (1h); negative disables background
	// refresh (Refresh still works).
	RefreshInterval time.Duration
	// StartRetryMin and StartRetryMax bound the backoff between the
	// background tries of StartBackground while the files are missing
	// (doubling from StartRetryMin, a random point in the upper half of
	// each delay). Default: DefaultStartRetryMin (5s) and
	// DefaultStartRetryMax (1m); StartRetryMax is raised to StartRetryMin.
	StartRetryMin, StartRetryMax time.Duration
	// HTTPClient downloads the files. Default: a client with
	// DefaultHTTPTimeout (30s) and the environment's proxy settings.
	HTTPClient *http.Client

	// ExternalIP and ExternalIP6 are the proxy's public addresses, used
	// in the key derivation and as the proxy address in RPC_PROXY_REQ when
	// the local address is not publicly routable (see NAT). Default: none,
	// the local address is used as is.
	ExternalIP, ExternalIP6 netip.Addr
	// NAT maps local addresses to public ones (the official --nat-info
	// local:public); a mapping for the local address wins over
	// ExternalIP. Default: none.
	NAT map[netip.Addr]netip.Addr
	// Prefer filters the middle proxies dialed by address family:
	// dc.OnlyIPv4 skips IPv6 addresses, dc.OnlyIPv6 IPv4 ones; the
	// preferences allow both. Default dc.PreferIPv4.
	Prefer dc.Preference

	// MinConnections and MaxConnections bound the RPC connections per
	// middle proxy. Default: the config's min_connections and
	// max_connections, else DefaultMinConnections (4) and
	// DefaultMaxConnections (8), as the official proxy.
	MinConnections, MaxConnections int
	// ConnClients is how many clients each ready connection of a target
	// carries before the target opens one more (up to MaxConnections).
	// Default: DefaultConnClients (256).
	ConnClients int
	// DialTimeout bounds the TCP connect to a middle proxy. Default:
	// DefaultDialTimeout (5s).
	DialTimeout time.Duration
	// HandshakeTimeout bounds the RPC handshake after the connect.
	// Default: DefaultHandshakeTimeout (3s), as the official proxy.
	HandshakeTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// failed attempts to a target (full jitter between half and the whole
	// delay). Default: DefaultReconnectMin (1s) and DefaultReconnectMax
	// (60s); ReconnectMax is raised to ReconnectMin.
	ReconnectMin, ReconnectMax time.Duration
	// PingInterval: a connection from which nothing was read for this long
	// is sent an RPC_PING. Default: DefaultPingInterval (10s).
	PingInterval time.Duration
	// PingTimeout: a connection from which nothing was read for this long
	// is closed. Default 3 x PingInterval.
	PingTimeout time.Duration
	// WriteTimeout bounds each write to a middle proxy; a connection whose
	// write times out is closed with its clients. Default:
	// DefaultWriteTimeout (10s).
	WriteTimeout time.Duration

	// ReadyWait bounds how long a client's first packet waits for a
	// connection of its DC that is being established. Default:
	// DefaultReadyWait (2s); negative: do not wait (the official
	// behaviour).
	ReadyWait time.Duration
	// ClientQueueBytes bounds the answers queued for one client; a client
	// whose queue would overflow is closed. Default:
	// DefaultClientQueueBytes (2 MiB, two of the largest answers).
	ClientQueueBytes int
	// MemoryBudget bounds, in bytes, what the layer holds for all clients
	// together: the buffers of the packets they are sending and the
	// answers queued for them. Above it the slowest are closed (see
	// Stats.BudgetShed). Default: DefaultMemoryBudget (256 MiB).
	MemoryBudget int64
	// ClientWriteTimeout bounds one write to a client. Default:
	// DefaultClientWriteTimeout (30s).
	ClientWriteTimeout time.Duration
	// IdleTimeout closes a client with no traffic either way (answers
	// queued included) for this long; Serve then returns proxy.ErrIdle.
	// Default: proxy.DefaultIdleTimeout (5m); negative: no limit.
	IdleTimeout time.Duration

	// Dialer dials middle proxies. Default: a dc.Dialer with DialTimeout.
	Dialer *dc.Dialer
	// Logger receives the layer's logs. Default: none (zap.NewNop).
	Logger *zap.Logger
	// Observer receives boundary events. Default NopObserver.
	Observer Observer
	// TracerProvider creates the handshake and refresh spans. Default: no-op.
	TracerProvider trace.TracerProvider
	// Rand feeds nonces, jitter and connection ids. Default crypto/rand.
	Rand io.Reader
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// PID is the process id sent in RPC_HANDSHAKE (truncated to 16 bits).
	// Default os.Getpid().
	PID int
}

// Configuration errors New returns.
var (
	ErrMinMax      = errors.New("middle: MinConnections exceeds MaxConnections")
	ErrNATMapping  = errors.New("middle: NAT mapping between different address families")
	ErrExternalIP  = errors.New("middle: ExternalIP must be IPv4 and ExternalIP6 IPv6")
	ErrURL         = errors.New("middle: file URL must be http or https")
	errNegativeOpt = errors.New("middle: negative connection count")
)

func (o *Options) validate() error {
	if o.MinConnections < 0 || o.MaxConnections < 0 || o.ConnClients < 0 || o.ClientQueueBytes < 0 || o.MemoryBudget < 0 {
		return errNegativeOpt
	}
	if o.MinConnections > 0 && o.MaxConnections > 0 && o.MinConnections > o.MaxConnections {
		return fmt.Errorf("%w: %d > %d", ErrMinMax, o.MinConnections, o.MaxConnections)
	}
	if (o.ExternalIP.IsValid() && !o.ExternalIP.Unmap().Is4()) ||
		(o.ExternalIP6.IsValid() && (!o.ExternalIP6.Is6() || o.ExternalIP6.Is4In6())) {
		return ErrExternalIP
	}
	for l, p := range o.NAT {
		if l.Unmap().Is4() != p.Unmap().Is4() {
			return fmt.Errorf("%w: %s -> %s", ErrNATMapping, l, p)
		}
	}
	return nil
}

func (o *Options) setDefaults() {
	defaults.Set(&o.ProxySecretURL, DefaultProxySecretURL)
	if o.IPv6 {
		defaults.Set(&o.ProxyConfigURL, DefaultProxyConfigURLv6)
	}
	defaults.Set(&o.ProxyConfigURL, DefaultProxyConfigURL)
	defaults.Set(&o.RefreshInterval, DefaultRefreshInterval)
	defaults.SetPositive(&o.StartRetryMin, DefaultStartRetryMin)
	defaults.SetPositive(&o.StartRetryMax, DefaultStartRetryMax)
	o.StartRetryMax = max(o.StartRetryMax, o.StartRetryMin)
	defaults.Set(&o.ConnClients, DefaultConnClients)
	defaults.Set(&o.DialTimeout, DefaultDialTimeout)
	defaults.Set(&o.HandshakeTimeout, DefaultHandshakeTimeout)
	defaults.Set(&o.ReconnectMin, DefaultReconnectMin)
	defaults.Set(&o.ReconnectMax, DefaultReconnectMax)
	o.ReconnectMax = max(o.ReconnectMax, o.ReconnectMin)
	defaults.Set(&o.PingInterval, DefaultPingInterval)
	defaults.Set(&o.PingTimeout, 3*o.PingInterval)
	defaults.Set(&o.WriteTimeout, DefaultWriteTimeout)
	defaults.Set(&o.ReadyWait, DefaultReadyWait)
	defaults.Set(&o.ClientQueueBytes, DefaultClientQueueBytes)
	defaults.Set(&o.MemoryBudget, DefaultMemoryBudget)
	defaults.Set(&o.ClientWriteTimeout, DefaultClientWriteTimeout)
	defaults.Set(&o.IdleTimeout, proxy.DefaultIdleTimeout)
	defaults.Set(&o.HTTPClient, &http.Client{Timeout: DefaultHTTPTimeout})
	defaults.Set(&o.Dialer, &dc.Dialer{Timeout: o.DialTimeout})
	defaults.Set(&o.Logger, zap.NewNop())
	defaults.Set[Observer](&o.Observer, NopObserver{})
	defaults.Set[trace.TracerProvider](&o.TracerProvider, noop.NewTracerProvider())
	defaults.Set(&o.Rand, rand.Reader)
	defaults.Set(&o.PID, os.Getpid())
	if o.Now == nil {
		o.Now = time.Now
	}
}
