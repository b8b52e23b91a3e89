package config

import (
	"net/netip"
	"time"

	"github.com/mtproxy/mtproxy/internal/enum"
	"github.com/mtproxy/mtproxy/proxy"
)

// Limits and defaults shared with the rest of the binary.
const (
	// MaxSecrets is how many client secrets one proxy accepts (as the
	// official proxy and the seed image).
	MaxSecrets = proxy.MaxSecrets
	// DefaultProxyConfigURLv6 replaces the default PROXY_CONFIG_URL when IPv6
	// is preferred or required (PREFER_IP=prefer-ipv6 or only-ipv6).
	DefaultProxyConfigURLv6 = "https://core.telegram.org/getProxyConfigV6"
)

// Secret is one client secret: the bare 16 bytes, and an optional name used
// in logs and metrics instead of its index.
type Secret struct {
	Name string
	Key  [16]byte
}

// SecretSource tells where the secrets came from, for the start-up lines.
type SecretSource int

// The secret sources, in the seed's order of priority.
const (
	SecretsFromEnv   SecretSource = iota + 1 // SECRET / -S / --secret
	SecretsFromFile                          // an existing valid SECRET_FILE
	SecretsGenerated                         // SECRET_COUNT random secrets
	numSecretSources
)

var secretSourceNames = [...]string{
	SecretsFromEnv:   "explicit",
	SecretsFromFile:  "file",
	SecretsGenerated: "generated",
}

// One name per SecretSource: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(secretSourceNames)-int(numSecretSources)]

// String names the source.
func (s SecretSource) String() string { return enum.Name(secretSourceNames[:], s) }

// Mode is how clients are carried to Telegram.
type Mode string

// The modes.
const (
	// ModeAuto: through the middle proxies whenever they can serve a DC,
	// straight to it otherwise (no Telegram files yet, or the DC's middle
	// proxies down for DirectFallbackAfter).
	ModeAuto   Mode = "auto"
	ModeDirect Mode = "direct" // straight to the DCs, re-obfuscated
	ModeMiddle Mode = "middle" // through Telegram's middle proxies only (needed for TAG and media)
)

// PreferIP chooses the address family used towards Telegram.
type PreferIP string

// The PREFER_IP values.
const (
	PreferIPv4 PreferIP = "prefer-ipv4"
	PreferIPv6 PreferIP = "prefer-ipv6"
	OnlyIPv4   PreferIP = "only-ipv4"
	OnlyIPv6   PreferIP = "only-ipv6"
)

// WantsIPv6 reports whether IPv6 is preferred or required.
func (p PreferIP) WantsIPv6() bool { return p == PreferIPv6 || p == OnlyIPv6 }

// SNIPolicy is what a FakeTLS hello for a name other than TLS_DOMAIN gets.
type SNIPolicy string

// The UNKNOWN_SNI values.
const (
	SNIFront  SNIPolicy = "front"  // spliced to the fronting host, like any failed handshake
	SNIDrop   SNIPolicy = "drop"   // closed at once
	SNIReject SNIPolicy = "reject" // an unrecognized_name alert, then closed
)

// LogFormat is the log encoding; LogAuto picks console on a terminal, JSON
// otherwise (the caller decides).
type LogFormat string

// The LOG_FORMAT values.
const (
	LogAuto    LogFormat = ""
	LogJSON    LogFormat = "json"
	LogConsole LogFormat = "console"
)

// LogLevel is the minimum level logged.
type LogLevel string

// The LOG_LEVEL values.
const (
	LevelDebug LogLevel = "debug"
	LevelInfo  LogLevel = "info"
	LevelWarn  LogLevel = "warn"
	LevelError LogLevel = "error"
)

// NATInfo is the official --nat-info pair: the proxy's own (local) address
// and the public address it is reached at.
type NATInfo struct {
	Local, Public netip.Addr
}

// Config is the validated configuration. Zero netip.Addr values mean "not
// set" (detect, or listen everywhere). Every field is documented with its
// variable; see the package documentation for defaults and flags.
type Config struct {
	// Secrets: 1..16 client secrets, with optional names (SECRET,
	// SECRET_NAMES, SECRET_FILE, SECRET_COUNT).
	Secrets []Secret
	// SecretSource tells how Secrets were obtained.
	SecretSource SecretSource
	// SecretFile is where generated secrets persist (SECRET_FILE).
	SecretFile string
	// SecretFileSaved: generated secrets were written to SecretFile.
	SecretFileSaved bool
	// SecretCount is the number of secrets generated when none are given.
	SecretCount int

	// Tag is the advertising tag from @MTProxybot (TAG); HasTag tells if set.
	Tag    [16]byte
	HasTag bool

	// Workers scales the default connection limit (WORKERS, -M).
	Workers int
	// MaxConnections is the limit on concurrent client connections:
	// MAX_CONNECTIONS, else -C x Workers, else 60000 x Workers.
	MaxConnections int
	// Debug enables debug logging (DEBUG); LogLevel is then LevelDebug.
	Debug bool

	// ProxySecretFile caches getProxySecret (PROXY_SECRET_FILE, --aes-pwd).
	ProxySecretFile string
	// ProxyConfigFile caches getProxyConfig (PROXY_CONFIG_FILE, positional).
	ProxyConfigFile string

	// IP is the external address (IP, or NAT_INFO's public part); zero: detect.
	IP netip.Addr
	// InternalIP is the local address behind NAT (INTERNAL_IP, or
	// NAT_INFO's local part); zero: detect.
	InternalIP netip.Addr

	// Port is the client port (PORT, -H).
	Port int
	// InternalPort serves /stats and /metrics (INTERNAL_PORT, -p).
	InternalPort int
	// Bind is the listen address (BIND, --address); zero: all addresses.
	Bind netip.Addr
	// InternalBind is the listen address of InternalPort (INTERNAL_BIND);
	// Bind when not set.
	InternalBind netip.Addr

	// TLSDomain turns FakeTLS on (TLS_DOMAIN, -D); "" means off.
	TLSDomain string
	// TLSOnly refuses non-FakeTLS clients (TLS_ONLY).
	TLSOnly bool
	// FrontingAddr is where failed handshakes are spliced (FRONTING_ADDR);
	// "" means TLSDomain:443 when FakeTLS is on.
	FrontingAddr string
	// FrontingLifetime bounds a fronted connection's life (FRONTING_LIFETIME).
	FrontingLifetime time.Duration
	// FrontingMaxBytes bounds its bytes each way (FRONTING_MAX_BYTES).
	FrontingMaxBytes int64
	// FrontingProxyProtocol is the PROXY header sent to the fronting host
	// (FRONTING_PROXY_PROTOCOL): "off", "v1" or "v2".
	FrontingProxyProtocol string
	// DrainTimeout closes an unknown client without a fronting host once
	// it has been silent this long (DRAIN_TIMEOUT).
	DrainTimeout time.Duration
	// UnknownSNI is what a FakeTLS hello for another name gets (UNKNOWN_SNI).
	UnknownSNI SNIPolicy
	// MaxUnauth and MaxUnauthPerIP limit connections not yet authenticated
	// (MAX_UNAUTH_CONNECTIONS, MAX_UNAUTH_PER_IP).
	MaxUnauth, MaxUnauthPerIP int
	// ProxyProtocolTrusted are the load balancers whose PROXY headers are
	// required and used (PROXY_PROTOCOL_TRUSTED); empty: none.
	ProxyProtocolTrusted []netip.Prefix
	// TLSRecordInitial and TLSRecordRamp shape the first FakeTLS records
	// to clients (TLS_RECORD_INITIAL, 0: off; TLS_RECORD_RAMP).
	TLSRecordInitial, TLSRecordRamp int
	// TLSProfileInterval is how often the fronting site's TLS answer is
	// recorded (TLS_PROFILE_INTERVAL).
	TLSProfileInterval time.Duration

	// DCAddrs overrides Telegram DC addresses by DC id (DC_ADDRS).
	DCAddrs map[int][]netip.AddrPort
	// PreferIP chooses the address family towards Telegram (PREFER_IP).
	PreferIP PreferIP

	DialTimeout      time.Duration // DIAL_TIMEOUT
	HandshakeTimeout time.Duration // HANDSHAKE_TIMEOUT
	IdleTimeout      time.Duration // IDLE_TIMEOUT
	TimeSkew         time.Duration // TIME_SKEW: accepted FakeTLS clock distance
	ShutdownTimeout  time.Duration // SHUTDOWN_TIMEOUT: drain time on SIGTERM

	// ReplayCacheFile is where the handshake replay cache is saved and
	// read back at start (REPLAY_CACHE_FILE); "" (none): not persisted.
	ReplayCacheFile string
	// RefuseUptimeTimestamps refuses FakeTLS hellos whose timestamp is an
	// uptime (REPLAY_UPTIME_TIMESTAMPS=refuse).
	RefuseUptimeTimestamps bool

	// Mode is MODE: auto (the default), direct or middle.
	Mode Mode
	// DirectFallback lets MODE=auto serve a DC directly while its middle
	// proxies are down (DIRECT_FALLBACK, default true); DirectFallbackAfter
	// is how long they must be down first (DIRECT_FALLBACK_AFTER, 30s).
	DirectFallback      bool
	DirectFallbackAfter time.Duration

	ProxySecretURL        string        // PROXY_SECRET_URL
	ProxyConfigURL        string        // PROXY_CONFIG_URL (V6 variant when IPv6 is wanted)
	ConfigRefreshInterval time.Duration // CONFIG_REFRESH_INTERVAL
	// MiddleMemoryBudget bounds, in bytes, the client packets and queued
	// answers of middle mode (MIDDLE_MEMORY_BUDGET_MIB).
	MiddleMemoryBudget int64

	StatsAllow   []netip.Prefix // STATS_ALLOW: who may read /stats
	MetricsAllow []netip.Prefix // METRICS_ALLOW: who may read /metrics
	HealthAllow  []netip.Prefix // HEALTH_ALLOW: who may read /healthz and /readyz; nil: MetricsAllow

	NTPServers      []string      // NTP_SERVERS: host or host:port
	IPDetectURLs    []string      // IP_DETECT_URLS
	DCProbeInterval time.Duration // DC_PROBE_INTERVAL

	LogFormat LogFormat // LOG_FORMAT
	LogLevel  LogLevel  // LOG_LEVEL (debug when DEBUG is true)

	// WebProxy is the WEB proxy carrier (WEBPROXY_*); off unless
	// WebProxy.Listen is set.
	WebProxy WebProxy
	// UsersFile is the TOML users file (USERS_FILE); "" means none.
	UsersFile string
	// UsersStateFile keeps the users' quota usage (USERS_STATE_FILE).
	UsersStateFile string
	// UsersDrainGrace bounds a revoked user's connections (USERS_DRAIN_GRACE).
	UsersDrainGrace time.Duration
	// UsersMetricsTop is how many users get their own metric series
	// (USERS_METRICS_TOP).
	UsersMetricsTop int
	// AdminToken turns the admin API and page on (ADMIN_TOKEN); "" means off.
	AdminToken string
	// AdminAllow are the networks that may use them (ADMIN_ALLOW).
	AdminAllow []netip.Prefix
	// StateURL turns on the state shared by a fleet of proxies (STATE_URL):
	// redis:// or rediss://, checked by redisstate.ParseURL; "" keeps
	// everything local. It may hold a password: never log it.
	StateURL string
	// StatePassword replaces STATE_URL's password when set
	// (STATE_PASSWORD), so that it can come from a secret store apart
	// from the URL. Never log it.
	StatePassword string
	// StateTimeout bounds what a handshake waits for the shared store
	// (STATE_TIMEOUT).
	StateTimeout time.Duration
}

// WebProxy configures the WEB proxy carrier: a plain HTTP listener behind
// the operator's TLS terminator, for Telegram's WEB proxy links.
type WebProxy struct {
	// Listen is the HTTP listener's HOST:PORT (WEBPROXY_LISTEN); "" is off.
	Listen string
	// Host is the public host name of the links (WEBPROXY_HOST): a
	// lowercase DNS name with a dot, no IP address, no port.
	Host string
	// BasePath is the optional path the relay lives under, without
	// slashes (WEBPROXY_BASE_PATH); it selects the v2 links.
	BasePath string
	// Site is the public site (WEBPROXY_SITE): an http(s) URL proxied to,
	// or, when SiteDir, a directory served; "" answers an empty 404.
	Site    string
	SiteDir bool
	// TrustedProxies may set X-Forwarded-For (WEBPROXY_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// Mode is the carrier mode, https or websocket (WEBPROXY_MODE).
	Mode string
}

// Enabled reports whether the carrier is on.
func (w WebProxy) Enabled() bool { return w.Listen != "" }
