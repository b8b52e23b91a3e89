package config

import (
	"flag"
	"strconv"

	"github.com/mtproxy/mtproxy/proxy"
)

// perWorkerText is the default connection limit of one worker, for the help texts.
var perWorkerText = strconv.Itoa(proxy.DefaultMaxConnections)

// settingTable lists every variable with its long flag (the variable in
// lower case with dashes) and an example value for error messages.
func settingTable() []setting {
	return []setting{
		{"SECRET", "secret", "00baadf00d15abad1deaa515baadcafe", "client secrets, comma-separated 32 hex (at most 16)", func(v *values) flag.Value { return &v.Secret }},
		{"SECRET_NAMES", "secret-names", "alice,bob", "names of the secrets for logs and metrics", func(v *values) flag.Value { return &v.SecretNames }},
		{"SECRET_COUNT", "secret-count", "2", "how many secrets to generate when none is given (1-16)", func(v *values) flag.Value { return &v.SecretCount }},
		{"SECRET_FILE", "secret-file", "/data/secret", "where generated secrets persist", func(v *values) flag.Value { return &v.SecretFile }},
		{"TAG", "tag", "3f40462915a3e6026a4d790127b95ded", "advertising tag from @MTProxybot (32 hex)", func(v *values) flag.Value { return &v.Tag }},
		{"WORKERS", "workers", "2", "connection limit multiplier (" + perWorkerText + " per worker)", func(v *values) flag.Value { return &v.Workers }},
		{"MAX_CONNECTIONS", "max-connections", "100000", "limit on concurrent client connections", func(v *values) flag.Value { return &v.MaxConnections }},
		{"DEBUG", "debug", "true", "debug logging", func(v *values) flag.Value { return &v.Debug }},
		{"PROXY_SECRET_FILE", "proxy-secret-file", "/data/proxy.secret", "cache of getProxySecret", func(v *values) flag.Value { return &v.ProxySecretFile }},
		{"PROXY_CONFIG_FILE", "proxy-config-file", "/data/proxy.conf", "cache of getProxyConfig", func(v *values) flag.Value { return &v.ProxyConfigFile }},
		{"IP", "ip", "203.0.113.7", "external address (detected when empty)", func(v *values) flag.Value { return &v.IP }},
		{"INTERNAL_IP", "internal-ip", "10.0.0.5", "local address behind NAT (detected when empty)", func(v *values) flag.Value { return &v.InternalIP }},
		{"NAT_INFO", "nat-info", "10.0.0.5:203.0.113.7", "LOCAL:PUBLIC addresses, as INTERNAL_IP and IP", func(v *values) flag.Value { return &v.NATInfo }},
		{"PORT", "port", "443", "client port", func(v *values) flag.Value { return &v.Port }},
		{"INTERNAL_PORT", "internal-port", "2398", "stats and metrics port", func(v *values) flag.Value { return &v.InternalPort }},
		{"BIND", "bind", "0.0.0.0", "listen address (all when empty)", func(v *values) flag.Value { return &v.Bind }},
		{"INTERNAL_BIND", "internal-bind", "127.0.0.1", "listen address of INTERNAL_PORT (default BIND)", func(v *values) flag.Value { return &v.InternalBind }},
		{"TLS_DOMAIN", "tls-domain", "www.example.com", "FakeTLS domain (FakeTLS on when set)", func(v *values) flag.Value { return &v.TLSDomain }},
		{"TLS_ONLY", "tls-only", "true", "refuse clients that do not use FakeTLS", func(v *values) flag.Value { return &v.TLSOnly }},
		{"FRONTING_ADDR", "fronting-addr", "127.0.0.1:8443", "where failed handshakes are spliced (default TLS_DOMAIN:443)", func(v *values) flag.Value { return &v.FrontingAddr }},
		{"FRONTING_LIFETIME", "fronting-lifetime", "2m", "longest a fronted connection lives", func(v *values) flag.Value { return &v.FrontingLifetime }},
		{"FRONTING_MAX_BYTES", "fronting-max-bytes", "16777216", "bytes a fronted connection carries each way", func(v *values) flag.Value { return &v.FrontingMaxBytes }},
		{"FRONTING_PROXY_PROTOCOL", "fronting-proxy-protocol", "v2", "PROXY header towards the fronting host: off, v1 or v2", func(v *values) flag.Value { return &v.FrontingProxyProtocol }},
		{"DRAIN_TIMEOUT", "drain-timeout", "30s", "without a fronting host, close an unknown client silent this long", func(v *values) flag.Value { return &v.DrainTimeout }},
		{"UNKNOWN_SNI", "unknown-sni", "reject", "FakeTLS hellos for another name: front, drop or reject", func(v *values) flag.Value { return &v.UnknownSNI }},
		{"MAX_UNAUTH_CONNECTIONS", "max-unauth-connections", "4096", "limit on connections not yet authenticated (handshaking or fronted)", func(v *values) flag.Value { return &v.MaxUnauth }},
		{"MAX_UNAUTH_PER_IP", "max-unauth-per-ip", "64", "the same limit per client address (IPv6: per /64)", func(v *values) flag.Value { return &v.MaxUnauthPerIP }},
		{"PROXY_PROTOCOL_TRUSTED", "proxy-protocol-trusted", "10.0.0.0/8", "load balancers whose PROXY headers are required and used (CIDRs)", func(v *values) flag.Value { return &v.ProxyProtocolTrusted }},
		{"TLS_RECORD_INITIAL", "tls-record-initial", "1369", "payload of the first FakeTLS record to a client (0: full records)", func(v *values) flag.Value { return &v.TLSRecordInitial }},
		{"TLS_RECORD_RAMP", "tls-record-ramp", "8", "records over which FakeTLS records grow to 16 KiB", func(v *values) flag.Value { return &v.TLSRecordRamp }},
		{"TLS_PROFILE_INTERVAL", "tls-profile-interval", "1h", "how often the fronting site's TLS answer is recorded", func(v *values) flag.Value { return &v.TLSProfileInterval }},
		{"DC_ADDRS", "dc-addrs", "2=149.154.167.51:443,-2=149.154.167.51:443", "DC address overrides, DC=ADDRESS:PORT", func(v *values) flag.Value { return &v.DCAddrs }},
		{"PREFER_IP", "prefer-ip", "prefer-ipv6", "prefer-ipv4, prefer-ipv6, only-ipv4 or only-ipv6", func(v *values) flag.Value { return &v.PreferIP }},
		{"DIAL_TIMEOUT", "dial-timeout", "10s", "timeout to connect to Telegram", func(v *values) flag.Value { return &v.DialTimeout }},
		{"HANDSHAKE_TIMEOUT", "handshake-timeout", "10s", "timeout of a client handshake", func(v *values) flag.Value { return &v.HandshakeTimeout }},
		{"IDLE_TIMEOUT", "idle-timeout", "5m", "close connections idle for this long", func(v *values) flag.Value { return &v.IdleTimeout }},
		{"TIME_SKEW", "time-skew", "2m", "accepted FakeTLS clock distance", func(v *values) flag.Value { return &v.TimeSkew }},
		{"REPLAY_CACHE_FILE", "replay-cache-file", "/data/replay.cache", "where the handshake replay cache persists across restarts (none: off)", func(v *values) flag.Value { return &v.ReplayCacheFile }},
		{"REPLAY_UPTIME_TIMESTAMPS", "replay-uptime-timestamps", "refuse", "accept or refuse FakeTLS hellos carrying an uptime instead of unix time", func(v *values) flag.Value { return &v.UptimeTimestamps }},
		{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "25s", "drain time on SIGTERM", func(v *values) flag.Value { return &v.ShutdownTimeout }},
		{"MODE", "mode", "middle", "auto, direct or middle", func(v *values) flag.Value { return &v.Mode }},
		{"DIRECT_FALLBACK", "direct-fallback", "false", "MODE=auto: serve a DC directly while its middle proxies are down", func(v *values) flag.Value { return &v.DirectFallback }},
		{"DIRECT_FALLBACK_AFTER", "direct-fallback-after", "30s", "MODE=auto: how long a DC's middle proxies are down before its clients go direct", func(v *values) flag.Value { return &v.DirectFallbackAfter }},
		{"PROXY_SECRET_URL", "proxy-secret-url", "https://core.telegram.org/getProxySecret", "where getProxySecret is downloaded", func(v *values) flag.Value { return &v.ProxySecretURL }},
		{"PROXY_CONFIG_URL", "proxy-config-url", "https://core.telegram.org/getProxyConfig", "where getProxyConfig is downloaded", func(v *values) flag.Value { return &v.ProxyConfigURL }},
		{"MIDDLE_MEMORY_BUDGET_MIB", "middle-memory-budget-mib", "512", "memory for client packets and queued answers in middle mode, MiB", func(v *values) flag.Value { return &v.MiddleMemoryBudget }},
		{"CONFIG_REFRESH_INTERVAL", "config-refresh-interval", "1h", "how often the Telegram config is refreshed", func(v *values) flag.Value { return &v.ConfigRefreshInterval }},
		{"STATS_ALLOW", "stats-allow", "127.0.0.0/8,::1/128", "who may read /stats (CIDRs)", func(v *values) flag.Value { return &v.StatsAllow }},
		{"METRICS_ALLOW", "metrics-allow", "127.0.0.0/8,10.0.0.0/8", "who may read /metrics (CIDRs)", func(v *values) flag.Value { return &v.MetricsAllow }},
		{"HEALTH_ALLOW", "health-allow", "0.0.0.0/0,::/0", "who may read /healthz and /readyz (CIDRs; default METRICS_ALLOW)", func(v *values) flag.Value { return &v.HealthAllow }},
		{"NTP_SERVERS", "ntp-servers", "pool.ntp.org,time.google.com:123", "NTP servers for the clock check", func(v *values) flag.Value { return &v.NTPServers }},
		{"IP_DETECT_URLS", "ip-detect-urls", "https://api.ipify.org", "URLs answering the external IP", func(v *values) flag.Value { return &v.IPDetectURLs }},
		{"DC_PROBE_INTERVAL", "dc-probe-interval", "30s", "how often DCs are probed", func(v *values) flag.Value { return &v.DCProbeInterval }},
		{"LOG_FORMAT", "log-format", "json", "json, console or auto", func(v *values) flag.Value { return &v.LogFormat }},
		{"LOG_LEVEL", "log-level", "info", "debug, info, warn or error", func(v *values) flag.Value { return &v.LogLevel }},
		{"WEBPROXY_LISTEN", "webproxy-listen", "127.0.0.1:8080", "WEB proxy carrier: plain HTTP listener behind the TLS terminator (off when empty)", func(v *values) flag.Value { return &v.WebProxyListen }},
		{"WEBPROXY_HOST", "webproxy-host", "proxy.example.com", "WEB proxy public host name (lowercase, with a dot, no port)", func(v *values) flag.Value { return &v.WebProxyHost }},
		{"WEBPROXY_BASE_PATH", "webproxy-base-path", "dobry-cola-super-app", "WEB proxy base path (v2 links)", func(v *values) flag.Value { return &v.WebProxyBasePath }},
		{"WEBPROXY_SITE", "webproxy-site", "http://127.0.0.1:8081", "public site for everything else: an http(s) URL or a directory", func(v *values) flag.Value { return &v.WebProxySite }},
		{"WEBPROXY_TRUSTED_PROXIES", "webproxy-trusted-proxies", "127.0.0.1/32,::1/128", "peers whose X-Forwarded-For is believed (CIDRs)", func(v *values) flag.Value { return &v.WebProxyTrusted }},
		{"WEBPROXY_MODE", "webproxy-mode", "websocket", "WEB proxy carrier mode: https or websocket", func(v *values) flag.Value { return &v.WebProxyMode }},
		{"USERS_FILE", "users-file", "/data/users.toml", "TOML file of users with their own secrets and limits", func(v *values) flag.Value { return &v.UsersFile }},
		{"USERS_STATE_FILE", "users-state-file", "/data/users.usage.json", "where the users' quota usage persists", func(v *values) flag.Value { return &v.UsersStateFile }},
		{"USERS_DRAIN_GRACE", "users-drain-grace", "30s", "how long a revoked user's connections may go on", func(v *values) flag.Value { return &v.UsersDrainGrace }},
		{"USERS_METRICS_TOP", "users-metrics-top", "50", "users with their own metric series (the rest are other)", func(v *values) flag.Value { return &v.UsersMetricsTop }},
		{"ADMIN_TOKEN", "admin-token", "a-long-random-string", "turns the users admin API and page on (at least 16 characters)", func(v *values) flag.Value { return &v.AdminToken }},
		{"ADMIN_ALLOW", "admin-allow", "127.0.0.0/8,::1/128", "who may use the admin API and page (CIDRs)", func(v *values) flag.Value { return &v.AdminAllow }},
		{"STATE_URL", "state-url", "redis://valkey:6379/0?prefix=mtproxy:", "shared state of a fleet in Redis or Valkey (redis:// or rediss://); local when empty", func(v *values) flag.Value { return &v.StateURL }},
		{"STATE_PASSWORD", "state-password", "from-a-secret", "password of the shared state store (replaces STATE_URL's)", func(v *values) flag.Value { return &v.StatePassword }},
		{"STATE_TIMEOUT", "state-timeout", "50ms", "what a handshake waits for the shared state at most", func(v *values) flag.Value { return &v.StateTimeout }},
		// Flag-only official options: their key is their flag.
		{"-C", "", perWorkerText, "connections per worker", func(v *values) flag.Value { return &v.PerWorker }},
		{"-u", "", "nobody", "ignored", func(v *values) flag.Value { return &v.User }},
		{"--http-stats", "", "", "ignored: stats are always on", func(v *values) flag.Value { return &v.HTTPStats }},
		{"--allow-skip-dh", "", "", "ignored", func(v *values) flag.Value { return &v.SkipDH }},
	}
}

// aliasTable maps the official mtproto-proxy options (mtproto/mtproto-proxy.c,
// engine/engine-net.c, common/server-functions.c) onto settings. Note that
// the official --port is the local stats port (our -p / INTERNAL_PORT); our
// --port is PORT, the client port (the official -H).
func aliasTable() []alias {
	return []alias{
		{name: "S", key: "SECRET", usage: "client secret, 32 hex; repeat for more (official -S)"},
		{name: "mtproto-secret", key: "SECRET", usage: "same as -S"},
		{name: "P", key: "TAG", usage: "advertising tag, 32 hex (official -P)"},
		{name: "proxy-tag", key: "TAG", usage: "same as -P"},
		{name: "H", key: "PORT", usage: "client port (official -H; one port)", wrap: httpPorts},
		{name: "http-ports", key: "PORT", usage: "same as -H", wrap: httpPorts},
		{name: "p", key: "INTERNAL_PORT", usage: "stats port (official -p, bound to localhost there)"},
		{name: "M", key: "WORKERS", usage: "workers (official -M; 0 means 1)", wrap: slaves},
		{name: "slaves", key: "WORKERS", usage: "same as -M", wrap: slaves},
		{name: "C", key: "-C", usage: "max client connections per worker (official -C)", wrap: perWorker},
		{name: "max-special-connections", key: "-C", usage: "same as -C", wrap: perWorker},
		{name: "D", key: "TLS_DOMAIN", usage: "FakeTLS domain (official -D; one domain)", noRepeat: true},
		{name: "domain", key: "TLS_DOMAIN", usage: "same as -D", noRepeat: true},
		{name: "aes-pwd", key: "PROXY_SECRET_FILE", usage: "proxy secret file (official --aes-pwd)"},
		{name: "address", key: "BIND", usage: "listen address (official --address)"},
		{name: "u", key: "-u", usage: "user to switch to: ignored (run the container as that user)", wrap: ignored("-u: ignored; this binary never changes user (run it as the user you want)")},
		{name: "user", key: "-u", usage: "same as -u", wrap: ignored("--user: ignored; this binary never changes user (run it as the user you want)")},
		{name: "http-stats", key: "--http-stats", usage: "accepted: stats are always served on INTERNAL_PORT"},
		{name: "allow-skip-dh", key: "--allow-skip-dh", usage: "accepted for the seed's command line; no effect", wrap: ignored("--allow-skip-dh: ignored; it has no effect here")},
	}
}
