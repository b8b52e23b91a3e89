package middle

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// Default URLs of Telegram's files.
const (
	DefaultProxySecretURL   = "https://core.telegram.org/getProxySecret"
	DefaultProxyConfigURL   = "https://core.telegram.org/getProxyConfig"
	DefaultProxyConfigURLv6 = "https://core.telegram.org/getProxyConfigV6"
)

// Options configure a [Middle]. The zero value of every field is a usable
// default, documented on the field.
type Options struct {
	// AdTag is sent with every query. Default nil: no tag (proxy_tag_set 0).
	AdTag *rpc.AdTag

	// ProxySecretURL is where getProxySecret is downloaded. Default
	// DefaultProxySecretURL.
	ProxySecretURL string
	// ProxyConfigURL is where getProxyConfig is downloaded. Default
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
	// Default 1h; negative disables background refresh (Refresh still
	// works).
	RefreshInterval time.Duration
	// HTTPClient downloads the files. Default: a client with a 30s
	// timeout and the environment's proxy settings.
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
	// max_connections, else 4 and 8, as the official proxy.
	MinConnections, MaxConnections int
	// ConnClients is how many clients each ready connection of a target
	// carries before the target opens one more (up to MaxConnections).
	// Default 256.
	ConnClients int
	// DialTimeout bounds the TCP connect to a middle proxy. Default 5s.
	DialTimeout time.Duration
	// HandshakeTimeout bounds the RPC handshake after the connect.
	// Default 3s, as the official proxy.
	HandshakeTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// failed attempts to a target (full jitter between half and the whole
	// delay). Defaults 1s and 60s.
	ReconnectMin, ReconnectMax time.Duration
	// PingInterval: a connection from which nothing was read for this long
	// is sent an RPC_PING. Default 10s.
	PingInterval time.Duration
	// PingTimeout: a connection from which nothing was read for this long
	// is closed. Default 3 x PingInterval.
	PingTimeout time.Duration
	// WriteTimeout bounds each write to a middle proxy; a connection whose
	// write times out is closed with its clients. Default 10s.
	WriteTimeout time.Duration

	// ReadyWait bounds how long a client's first packet waits for a
	// connection of its DC that is being established. Default 2s;
	// negative: do not wait (the official behaviour).
	ReadyWait time.Duration
	// ClientQueueBytes bounds the answers queued for one client; a client
	// whose queue would overflow is closed. Default 2 MiB (two of the
	// largest answers).
	ClientQueueBytes int
	// ClientWriteTimeout bounds one write to a client. Default 30s.
	ClientWriteTimeout time.Duration
	// IdleTimeout closes a client with no traffic either way for this
	// long. Default 5m.
	IdleTimeout time.Duration

	// Dialer dials middle proxies. Default: a dc.Dialer with DialTimeout.
	Dialer *dc.Dialer
	// Logger receives the layer's logs. Default: none.
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
	if o.MinConnections < 0 || o.MaxConnections < 0 || o.ConnClients < 0 || o.ClientQueueBytes < 0 {
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
	def(&o.ProxySecretURL, DefaultProxySecretURL)
	if o.IPv6 {
		def(&o.ProxyConfigURL, DefaultProxyConfigURLv6)
	}
	def(&o.ProxyConfigURL, DefaultProxyConfigURL)
	def(&o.RefreshInterval, time.Hour)
	def(&o.ConnClients, 256)
	def(&o.DialTimeout, 5*time.Second)
	def(&o.HandshakeTimeout, 3*time.Second)
	def(&o.ReconnectMin, time.Second)
	def(&o.ReconnectMax, time.Minute)
	o.ReconnectMax = max(o.ReconnectMax, o.ReconnectMin)
	def(&o.PingInterval, 10*time.Second)
	def(&o.PingTimeout, 3*o.PingInterval)
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.ReadyWait, 2*time.Second)
	def(&o.ClientQueueBytes, 2<<20)
	def(&o.ClientWriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 5*time.Minute)
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Dialer == nil {
		o.Dialer = &dc.Dialer{Timeout: o.DialTimeout}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

func def[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
