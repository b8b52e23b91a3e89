package config

import (
	"flag"
	"net/netip"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/state/redisstate"
)

// values holds every setting while the sources are applied in order:
// defaults (newValues), the environment (envconfig), ARGS, the command line.
// Each field is both an envconfig Setter and a flag.Value.
type values struct {
	Secret          listValue[[16]byte]  `envconfig:"SECRET"`
	SecretNames     listValue[string]    `envconfig:"SECRET_NAMES"`
	SecretCount     intValue             `envconfig:"SECRET_COUNT"`
	SecretFile      textValue            `envconfig:"SECRET_FILE"`
	Tag             textValue            `envconfig:"TAG"` // checked in resolve: a bad tag is a warning
	Workers         intValue             `envconfig:"WORKERS"`
	MaxConnections  intValue             `envconfig:"MAX_CONNECTIONS"`
	Debug           boolValue            `envconfig:"DEBUG"`
	ProxySecretFile textValue            `envconfig:"PROXY_SECRET_FILE"`
	ProxyConfigFile textValue            `envconfig:"PROXY_CONFIG_FILE"`
	IP              oneValue[netip.Addr] `envconfig:"IP"`
	InternalIP      oneValue[netip.Addr] `envconfig:"INTERNAL_IP"`
	NATInfo         oneValue[NATInfo]    `envconfig:"NAT_INFO"`
	Port            intValue             `envconfig:"PORT"`
	InternalPort    intValue             `envconfig:"INTERNAL_PORT"`
	Bind            oneValue[netip.Addr] `envconfig:"BIND"`
	InternalBind    oneValue[netip.Addr] `envconfig:"INTERNAL_BIND"`
	TLSDomain       textValue            `envconfig:"TLS_DOMAIN"`
	TLSOnly         boolValue            `envconfig:"TLS_ONLY"`
	FrontingAddr    textValue            `envconfig:"FRONTING_ADDR"`

	FrontingLifetime      durationValue           `envconfig:"FRONTING_LIFETIME"`
	FrontingMaxBytes      intValue                `envconfig:"FRONTING_MAX_BYTES"`
	FrontingProxyProtocol textValue               `envconfig:"FRONTING_PROXY_PROTOCOL"`
	DrainTimeout          durationValue           `envconfig:"DRAIN_TIMEOUT"`
	UnknownSNI            textValue               `envconfig:"UNKNOWN_SNI"`
	MaxUnauth             intValue                `envconfig:"MAX_UNAUTH_CONNECTIONS"`
	MaxUnauthPerIP        intValue                `envconfig:"MAX_UNAUTH_PER_IP"`
	ProxyProtocolTrusted  listValue[netip.Prefix] `envconfig:"PROXY_PROTOCOL_TRUSTED"`
	TLSRecordInitial      intValue                `envconfig:"TLS_RECORD_INITIAL"`
	TLSRecordRamp         intValue                `envconfig:"TLS_RECORD_RAMP"`
	TLSProfileInterval    durationValue           `envconfig:"TLS_PROFILE_INTERVAL"`

	DCAddrs  listValue[dcAddr] `envconfig:"DC_ADDRS"`
	PreferIP textValue         `envconfig:"PREFER_IP"`

	DialTimeout      durationValue `envconfig:"DIAL_TIMEOUT"`
	HandshakeTimeout durationValue `envconfig:"HANDSHAKE_TIMEOUT"`
	IdleTimeout      durationValue `envconfig:"IDLE_TIMEOUT"`
	TimeSkew         durationValue `envconfig:"TIME_SKEW"`
	ShutdownTimeout  durationValue `envconfig:"SHUTDOWN_TIMEOUT"`

	ReplayCacheFile  textValue `envconfig:"REPLAY_CACHE_FILE"`
	UptimeTimestamps textValue `envconfig:"REPLAY_UPTIME_TIMESTAMPS"`

	Mode                  textValue     `envconfig:"MODE"`
	DirectFallback        boolValue     `envconfig:"DIRECT_FALLBACK"`
	DirectFallbackAfter   durationValue `envconfig:"DIRECT_FALLBACK_AFTER"`
	ProxySecretURL        textValue     `envconfig:"PROXY_SECRET_URL"`
	ProxyConfigURL        textValue     `envconfig:"PROXY_CONFIG_URL"`
	ConfigRefreshInterval durationValue `envconfig:"CONFIG_REFRESH_INTERVAL"`
	MiddleMemoryBudget    intValue      `envconfig:"MIDDLE_MEMORY_BUDGET_MIB"`

	StatsAllow      listValue[netip.Prefix] `envconfig:"STATS_ALLOW"`
	MetricsAllow    listValue[netip.Prefix] `envconfig:"METRICS_ALLOW"`
	HealthAllow     listValue[netip.Prefix] `envconfig:"HEALTH_ALLOW"`
	NTPServers      listValue[string]       `envconfig:"NTP_SERVERS"`
	IPDetectURLs    listValue[string]       `envconfig:"IP_DETECT_URLS"`
	DCProbeInterval durationValue           `envconfig:"DC_PROBE_INTERVAL"`

	LogFormat textValue `envconfig:"LOG_FORMAT"`
	LogLevel  textValue `envconfig:"LOG_LEVEL"`

	WebProxyListen   textValue               `envconfig:"WEBPROXY_LISTEN"`
	WebProxyHost     textValue               `envconfig:"WEBPROXY_HOST"`
	WebProxyBasePath textValue               `envconfig:"WEBPROXY_BASE_PATH"`
	WebProxySite     textValue               `envconfig:"WEBPROXY_SITE"`
	WebProxyTrusted  listValue[netip.Prefix] `envconfig:"WEBPROXY_TRUSTED_PROXIES"`
	WebProxyMode     textValue               `envconfig:"WEBPROXY_MODE"`
	StateURL         textValue               `envconfig:"STATE_URL"`
	StatePassword    textValue               `envconfig:"STATE_PASSWORD"`
	StateTimeout     durationValue           `envconfig:"STATE_TIMEOUT"`

	UsersFile       textValue               `envconfig:"USERS_FILE"`
	UsersStateFile  textValue               `envconfig:"USERS_STATE_FILE"`
	UsersDrainGrace durationValue           `envconfig:"USERS_DRAIN_GRACE"`
	UsersMetricsTop intValue                `envconfig:"USERS_METRICS_TOP"`
	AdminToken      textValue               `envconfig:"ADMIN_TOKEN"`
	AdminAllow      listValue[netip.Prefix] `envconfig:"ADMIN_ALLOW"`

	// Args holds the extra flags of the seed image (ARGS), split like a shell.
	Args rawValue `envconfig:"ARGS"`

	// Official mtproto-proxy options with no variable of their own.
	PerWorker intValue  `ignored:"true"` // -C: connections per worker
	User      textValue `ignored:"true"` // -u: accepted, ignored
	HTTPStats boolValue `ignored:"true"` // --http-stats: stats are always on
	SkipDH    boolValue `ignored:"true"` // --allow-skip-dh: accepted, ignored
}

// rawValue keeps a string as given.
type rawValue struct{ s string }

func (v *rawValue) Set(s string) error { v.s = s; return nil }

func (v *rawValue) String() string {
	if v == nil {
		return ""
	}
	return v.s
}

func oneOf(allowed ...string) func(string) (string, error) {
	return func(s string) (string, error) {
		s = strings.ToLower(s)
		for _, a := range allowed {
			if s == a {
				return s, nil
			}
		}
		return "", invalid(quote(s) + " is not one of " + strings.Join(allowed, ", "))
	}
}

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// newValues returns the values holding the defaults.
func newValues() *values {
	port := func(n int) intValue { return intValue{n: n, min: 1, max: 65535, what: "a port number"} }
	secs := func(d time.Duration) durationValue { return durationValue{d: d} }
	addr := func(s string) (netip.Addr, error) {
		a, err := parseAddr(s)
		if err == nil && a.IsUnspecified() {
			return a, invalid(quote(s) + " is not a usable address")
		}
		return a, err
	}
	return &values{
		Secret:          listValue[[16]byte]{parse: parseSecret, max: MaxSecrets, what: "secrets", hide: true},
		SecretNames:     listValue[string]{parse: parseName, max: MaxSecrets, what: "names"},
		SecretCount:     intValue{n: 1, min: 1, max: MaxSecrets, what: "a secret count"},
		SecretFile:      textValue{s: "/data/secret"},
		Workers:         intValue{n: 1, min: 1, max: 1024, what: "a worker count"},
		MaxConnections:  intValue{min: 1, max: 10_000_000, what: "a connection limit"},
		ProxySecretFile: textValue{s: "/data/proxy.secret"},
		ProxyConfigFile: textValue{s: "/data/proxy.conf"},
		IP:              oneValue[netip.Addr]{parse: addr},
		InternalIP:      oneValue[netip.Addr]{parse: addr},
		NATInfo:         oneValue[NATInfo]{parse: parseNATInfo},
		Port:            port(443),
		InternalPort:    port(2398),
		Bind:            oneValue[netip.Addr]{parse: parseAddr},
		InternalBind:    oneValue[netip.Addr]{parse: parseAddr},
		TLSDomain:       textValue{check: checkHostname},
		FrontingAddr:    textValue{check: checkHostPort},

		FrontingLifetime:      secs(2 * time.Minute),
		FrontingMaxBytes:      intValue{n: 16 << 20, min: 1024, max: 1 << 40, what: "a byte count"},
		FrontingProxyProtocol: textValue{s: "off", check: oneOf("off", "v1", "v2")},
		DrainTimeout:          secs(30 * time.Second),
		UnknownSNI:            textValue{s: string(SNIFront), check: oneOf(string(SNIFront), string(SNIDrop), string(SNIReject))},
		MaxUnauth:             intValue{n: 4096, min: 1, max: 10_000_000, what: "a connection limit"},
		MaxUnauthPerIP:        intValue{n: 64, min: 1, max: 10_000_000, what: "a connection limit"},
		ProxyProtocolTrusted:  listValue[netip.Prefix]{parse: parsePrefix},
		TLSRecordInitial:      intValue{n: 1369, min: 0, max: 16384, what: "a record size"},
		TLSRecordRamp:         intValue{n: 8, min: 0, max: 1000, what: "a record count"},
		TLSProfileInterval:    secs(time.Hour),
		DCAddrs:               listValue[dcAddr]{parse: parseDCAddr},
		PreferIP:              textValue{s: string(PreferIPv4), check: oneOf(string(PreferIPv4), string(PreferIPv6), string(OnlyIPv4), string(OnlyIPv6))},

		DialTimeout:      secs(10 * time.Second),
		HandshakeTimeout: secs(10 * time.Second),
		IdleTimeout:      secs(5 * time.Minute),
		TimeSkew:         secs(2 * time.Minute),
		ShutdownTimeout:  durationValue{d: 25 * time.Second, allowZero: true},

		ReplayCacheFile:  textValue{s: "/data/replay.cache", check: noneOff},
		UptimeTimestamps: textValue{s: "accept", check: oneOf("accept", "refuse")},

		Mode:                  textValue{s: string(ModeAuto), check: oneOf(string(ModeAuto), string(ModeDirect), string(ModeMiddle))},
		DirectFallback:        boolValue{b: true},
		DirectFallbackAfter:   secs(30 * time.Second),
		ProxySecretURL:        textValue{s: "https://core.telegram.org/getProxySecret", check: checkURL},
		ProxyConfigURL:        textValue{s: "https://core.telegram.org/getProxyConfig", check: checkURL},
		ConfigRefreshInterval: secs(time.Hour),
		MiddleMemoryBudget:    intValue{n: 256, min: 1, max: 1 << 20, what: "a size in MiB"},

		StatsAllow:      listValue[netip.Prefix]{items: mustPrefixes("127.0.0.0/8", "::1/128"), parse: parsePrefix},
		HealthAllow:     listValue[netip.Prefix]{parse: parsePrefix},
		MetricsAllow:    listValue[netip.Prefix]{items: mustPrefixes("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"), parse: parsePrefix},
		NTPServers:      listValue[string]{items: []string{"pool.ntp.org"}, parse: parseNTPServer},
		IPDetectURLs:    listValue[string]{items: []string{"https://api.ipify.org", "https://ifconfig.me/ip", "https://icanhazip.com"}, parse: parseURL},
		DCProbeInterval: secs(30 * time.Second),

		LogFormat: textValue{check: logFormat},
		LogLevel:  textValue{s: string(LevelInfo), check: logLevel},

		UsersStateFile:  textValue{s: "/data/users.usage.json"},
		UsersDrainGrace: secs(30 * time.Second),
		UsersMetricsTop: intValue{n: 50, min: 0, max: 10_000, what: "a number of users"},
		AdminToken:      textValue{check: checkAdminToken},
		AdminAllow:      listValue[netip.Prefix]{items: mustPrefixes("127.0.0.0/8", "::1/128"), parse: parsePrefix},
		StateURL:        textValue{check: checkStateURL},
		StateTimeout:    secs(redisstate.DefaultTimeout),

		PerWorker: intValue{min: 0, max: 10_000_000, what: "a connection limit per worker"},

		WebProxyListen:   textValue{check: checkListen},
		WebProxyHost:     textValue{check: checkWebProxyHost},
		WebProxyBasePath: textValue{check: checkBasePath},
		WebProxySite:     textValue{check: checkSite},
		WebProxyTrusted:  listValue[netip.Prefix]{items: mustPrefixes("127.0.0.0/8", "::1/128"), parse: parsePrefix},
		WebProxyMode:     textValue{s: "https", check: oneOf("https", "websocket")},
	}
}

// noneOff maps "none" (any case) to "", which turns a file setting off.
func noneOff(s string) (string, error) {
	if strings.EqualFold(s, "none") {
		return "", nil
	}
	return s, nil
}

// checkStateURL refuses a STATE_URL the store could not use, without
// quoting it: it may hold a password.
func checkStateURL(s string) (string, error) {
	if _, err := redisstate.ParseURL(s); err != nil {
		return "", invalid(strings.TrimPrefix(err.Error(), redisstate.ErrURL.Error()+": "))
	}
	return s, nil
}

func logFormat(s string) (string, error) {
	s = strings.ToLower(s)
	if s == "auto" {
		return "", nil
	}
	return oneOf(string(LogJSON), string(LogConsole), "auto")(s)
}

func logLevel(s string) (string, error) {
	s = strings.ToLower(s)
	if s == "warning" {
		return string(LevelWarn), nil
	}
	return oneOf(string(LevelDebug), string(LevelInfo), string(LevelWarn), string(LevelError))(s)
}

// setting describes one variable and its flags.
type setting struct {
	env     string // variable, and the key that orders sources; flag-only options use their flag
	flag    string // long flag, "" when there is none
	example string // an example value
	usage   string
	field   func(*values) flag.Value
}

// alias is an official mtproto-proxy option mapped onto a setting.
type alias struct {
	name    string // without dashes
	key     string // the setting's env (or flag-only key)
	example string // "" to use the setting's
	usage   string
	// wrap adapts the option's old meaning; nil uses the field itself.
	wrap     func(l *loader, inner flag.Value) flag.Value
	noRepeat bool // the official option repeats, we support one value
}

// checkAdminToken refuses a guessable ADMIN_TOKEN.
func checkAdminToken(s string) (string, error) {
	if len(s) < 16 {
		return "", invalid("is too short: use at least 16 random characters")
	}
	return s, nil
}
