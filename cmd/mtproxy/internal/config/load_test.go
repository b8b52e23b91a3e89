package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, w := mustLoad(t, nil)
	if len(w) != 0 {
		t.Errorf("warnings %q, want none", w)
	}
	want := &Config{
		Secrets:         []Secret{{Key: [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}},
		SecretSource:    SecretsGenerated,
		SecretFile:      c.SecretFile, // the temporary one
		SecretFileSaved: true,
		SecretCount:     1,
		Workers:         1,
		MaxConnections:  60000,
		ProxySecretFile: "/data/proxy.secret",
		ProxyConfigFile: "/data/proxy.conf",
		Port:            443,
		InternalPort:    2398,
		PreferIP:        PreferIPv4,
		DialTimeout:     10 * time.Second, HandshakeTimeout: 10 * time.Second,
		IdleTimeout: 5 * time.Minute, TimeSkew: 2 * time.Minute, ShutdownTimeout: 25 * time.Second,
		ReplayCacheFile: "/data/replay.cache",
		Mode:            ModeAuto, DirectFallback: true, DirectFallbackAfter: 30 * time.Second,
		ProxySecretURL:        "https://core.telegram.org/getProxySecret",
		ProxyConfigURL:        "https://core.telegram.org/getProxyConfig",
		ConfigRefreshInterval: time.Hour,
		FrontingLifetime:      2 * time.Minute, FrontingMaxBytes: 16 << 20, FrontingProxyProtocol: "off",
		UnknownSNI: SNIFront, DrainTimeout: 30 * time.Second, MaxUnauth: 4096, MaxUnauthPerIP: 64,
		TLSRecordInitial: 1369, TLSRecordRamp: 8, TLSProfileInterval: time.Hour,
		MiddleMemoryBudget: 256 << 20,
		StatsAllow:         []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		MetricsAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
			netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7")},
		NTPServers:      []string{"pool.ntp.org"},
		IPDetectURLs:    []string{"https://api.ipify.org", "https://ifconfig.me/ip", "https://icanhazip.com"},
		DCProbeInterval: 30 * time.Second,
		LogFormat:       LogAuto,
		LogLevel:        LevelInfo,
		WebProxy: WebProxy{Mode: "https",
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}},
		UsersStateFile:  "/data/users.usage.json",
		UsersDrainGrace: 30 * time.Second,
		UsersMetricsTop: 50,
		AdminAllow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		StateTimeout:    50 * time.Millisecond,
	}
	if !strings.HasSuffix(c.SecretFile, "/data/secret") {
		t.Errorf("SecretFile = %q", c.SecretFile)
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

// settingCase sets one variable (and, as a flag, the same value) and checks
// the Config.
type settingCase struct {
	env, value string
	check      func(*Config) bool
}

func settingCases() []settingCase {
	ap := netip.MustParseAddrPort
	return []settingCase{
		{"SECRET", "00BAADF00D15ABAD1DEAA515BAADCAFE,dd3f40462915a3e6026a4d790127b95ded", func(c *Config) bool {
			return len(c.Secrets) == 2 && c.SecretSource == SecretsFromEnv &&
				c.Secrets[0].Key == [16]byte{0x00, 0xba, 0xad, 0xf0, 0x0d, 0x15, 0xab, 0xad, 0x1d, 0xea, 0xa5, 0x15, 0xba, 0xad, 0xca, 0xfe} &&
				c.Secrets[1].Key == [16]byte{0x3f, 0x40, 0x46, 0x29, 0x15, 0xa3, 0xe6, 0x02, 0x6a, 0x4d, 0x79, 0x01, 0x27, 0xb9, 0x5d, 0xed}
		}},
		{"SECRET_NAMES", "alice", func(c *Config) bool { return c.Secrets[0].Name == "alice" }},
		{"SECRET_COUNT", "3", func(c *Config) bool { return c.SecretCount == 3 && len(c.Secrets) == 3 }},
		{"TAG", "3F40462915a3e6026a4d790127b95ded", func(c *Config) bool {
			return c.HasTag && c.Tag == [16]byte{0x3f, 0x40, 0x46, 0x29, 0x15, 0xa3, 0xe6, 0x02, 0x6a, 0x4d, 0x79, 0x01, 0x27, 0xb9, 0x5d, 0xed} &&
				c.Mode == ModeAuto
		}},
		{"WORKERS", "4", func(c *Config) bool { return c.Workers == 4 && c.MaxConnections == 240000 }},
		{"MAX_CONNECTIONS", "1000", func(c *Config) bool { return c.MaxConnections == 1000 }},
		{"DEBUG", "true", func(c *Config) bool { return c.Debug && c.LogLevel == LevelDebug }},
		{"PROXY_SECRET_FILE", "/x/ps", func(c *Config) bool { return c.ProxySecretFile == "/x/ps" }},
		{"PROXY_CONFIG_FILE", "/x/pc", func(c *Config) bool { return c.ProxyConfigFile == "/x/pc" }},
		{"IP", "203.0.113.7", func(c *Config) bool { return c.IP == netip.MustParseAddr("203.0.113.7") }},
		{"INTERNAL_IP", "fd00::5", func(c *Config) bool { return c.InternalIP == netip.MustParseAddr("fd00::5") }},
		{"NAT_INFO", "10.0.0.5:203.0.113.7", func(c *Config) bool {
			return c.InternalIP == netip.MustParseAddr("10.0.0.5") && c.IP == netip.MustParseAddr("203.0.113.7")
		}},
		{"PORT", "8443", func(c *Config) bool { return c.Port == 8443 }},
		{"INTERNAL_PORT", "9000", func(c *Config) bool { return c.InternalPort == 9000 }},
		{"BIND", "::1", func(c *Config) bool { return c.Bind == netip.MustParseAddr("::1") && c.InternalBind == c.Bind }},
		{"INTERNAL_BIND", "127.0.0.1", func(c *Config) bool { return c.InternalBind == netip.MustParseAddr("127.0.0.1") && !c.Bind.IsValid() }},
		{"TLS_DOMAIN", "WWW.Example.com", func(c *Config) bool { return c.TLSDomain == "www.example.com" }},
		{"FRONTING_ADDR", "127.0.0.1:8443", func(c *Config) bool { return c.FrontingAddr == "127.0.0.1:8443" }},
		{"FRONTING_LIFETIME", "90s", func(c *Config) bool { return c.FrontingLifetime == 90*time.Second }},
		{"FRONTING_MAX_BYTES", "1048576", func(c *Config) bool { return c.FrontingMaxBytes == 1<<20 }},
		{"FRONTING_PROXY_PROTOCOL", "V2", func(c *Config) bool { return c.FrontingProxyProtocol == "v2" }},
		{"DRAIN_TIMEOUT", "2s", func(c *Config) bool { return c.DrainTimeout == 2*time.Second }},
		{"UNKNOWN_SNI", "reject", func(c *Config) bool { return c.UnknownSNI == SNIReject }},
		{"MAX_UNAUTH_CONNECTIONS", "100", func(c *Config) bool { return c.MaxUnauth == 100 }},
		{"MAX_UNAUTH_PER_IP", "8", func(c *Config) bool { return c.MaxUnauthPerIP == 8 }},
		{"PROXY_PROTOCOL_TRUSTED", "10.0.0.0/8,fd00::/8", func(c *Config) bool {
			return reflect.DeepEqual(c.ProxyProtocolTrusted, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")})
		}},
		{"TLS_RECORD_INITIAL", "0", func(c *Config) bool { return c.TLSRecordInitial == 0 }},
		{"TLS_RECORD_RAMP", "3", func(c *Config) bool { return c.TLSRecordRamp == 3 }},
		{"TLS_PROFILE_INTERVAL", "6h", func(c *Config) bool { return c.TLSProfileInterval == 6*time.Hour }},
		{"DC_ADDRS", "2=127.0.0.1:4002,-2=127.0.0.1:4002,4=[::1]:4004,2=127.0.0.2:4003", func(c *Config) bool {
			return reflect.DeepEqual(c.DCAddrs, map[int][]netip.AddrPort{
				2: {ap("127.0.0.1:4002"), ap("127.0.0.2:4003")}, -2: {ap("127.0.0.1:4002")}, 4: {ap("[::1]:4004")}})
		}},
		{"PREFER_IP", "only-ipv6", func(c *Config) bool {
			return c.PreferIP == OnlyIPv6 && c.ProxyConfigURL == DefaultProxyConfigURLv6
		}},
		{"DIAL_TIMEOUT", "3s", func(c *Config) bool { return c.DialTimeout == 3*time.Second }},
		{"HANDSHAKE_TIMEOUT", "7", func(c *Config) bool { return c.HandshakeTimeout == 7*time.Second }},
		{"IDLE_TIMEOUT", "1m30s", func(c *Config) bool { return c.IdleTimeout == 90*time.Second }},
		{"TIME_SKEW", "10m", func(c *Config) bool { return c.TimeSkew == 10*time.Minute }},
		{"SHUTDOWN_TIMEOUT", "0", func(c *Config) bool { return c.ShutdownTimeout == 0 }},
		{"REPLAY_CACHE_FILE", "None", func(c *Config) bool { return c.ReplayCacheFile == "" }},
		{"REPLAY_UPTIME_TIMESTAMPS", "Refuse", func(c *Config) bool { return c.RefuseUptimeTimestamps }},
		{"MODE", "Middle", func(c *Config) bool { return c.Mode == ModeMiddle }},
		{"DIRECT_FALLBACK_AFTER", "2m", func(c *Config) bool { return c.DirectFallbackAfter == 2*time.Minute }},
		{"PROXY_SECRET_URL", "http://127.0.0.1:8080/s", func(c *Config) bool { return c.ProxySecretURL == "http://127.0.0.1:8080/s" }},
		{"PROXY_CONFIG_URL", "http://127.0.0.1:8080/c", func(c *Config) bool { return c.ProxyConfigURL == "http://127.0.0.1:8080/c" }},
		{"CONFIG_REFRESH_INTERVAL", "24h", func(c *Config) bool { return c.ConfigRefreshInterval == 24*time.Hour }},
		{"MIDDLE_MEMORY_BUDGET_MIB", "64", func(c *Config) bool { return c.MiddleMemoryBudget == 64<<20 }},
		{"STATS_ALLOW", "10.1.2.3/8, 192.0.2.1", func(c *Config) bool {
			return reflect.DeepEqual(c.StatsAllow, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")})
		}},
		{"METRICS_ALLOW", "::/0", func(c *Config) bool {
			return reflect.DeepEqual(c.MetricsAllow, []netip.Prefix{netip.MustParsePrefix("::/0")})
		}},
		{"HEALTH_ALLOW", "0.0.0.0/0,::/0", func(c *Config) bool {
			return reflect.DeepEqual(c.HealthAllow, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")})
		}},
		{"NTP_SERVERS", "time.google.com,127.0.0.1:1123", func(c *Config) bool {
			return reflect.DeepEqual(c.NTPServers, []string{"time.google.com", "127.0.0.1:1123"})
		}},
		{"IP_DETECT_URLS", "http://127.0.0.1:1/ip", func(c *Config) bool {
			return reflect.DeepEqual(c.IPDetectURLs, []string{"http://127.0.0.1:1/ip"})
		}},
		{"DC_PROBE_INTERVAL", "5s", func(c *Config) bool { return c.DCProbeInterval == 5*time.Second }},
		{"LOG_FORMAT", "JSON", func(c *Config) bool { return c.LogFormat == LogJSON }},
		{"LOG_LEVEL", "warning", func(c *Config) bool { return c.LogLevel == LevelWarn }},
		// Alone, the WEB proxy's settings other than WEBPROXY_LISTEN are
		// kept (and warned about); WEBPROXY_LISTEN needs WEBPROXY_HOST, see
		// TestWebProxy.
		{"WEBPROXY_HOST", "Proxy.Example.com", func(c *Config) bool { return c.WebProxy.Host == "proxy.example.com" && !c.WebProxy.Enabled() }},
		{"WEBPROXY_BASE_PATH", "/dobry-cola-super-app/", func(c *Config) bool { return c.WebProxy.BasePath == "dobry-cola-super-app" }},
		{"WEBPROXY_SITE", "https://www.example.com/", func(c *Config) bool {
			return c.WebProxy.Site == "https://www.example.com/" && !c.WebProxy.SiteDir
		}},
		{"WEBPROXY_TRUSTED_PROXIES", "10.0.0.1,fd00::/8", func(c *Config) bool {
			return reflect.DeepEqual(c.WebProxy.TrustedProxies, []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("fd00::/8")})
		}},
		{"WEBPROXY_MODE", "WebSocket", func(c *Config) bool { return c.WebProxy.Mode == "websocket" }},
		{"USERS_FILE", "/etc/mtproxy/users.toml", func(c *Config) bool { return c.UsersFile == "/etc/mtproxy/users.toml" }},
		{"USERS_STATE_FILE", "/var/lib/mtproxy/usage.json", func(c *Config) bool { return c.UsersStateFile == "/var/lib/mtproxy/usage.json" }},
		{"USERS_DRAIN_GRACE", "5s", func(c *Config) bool { return c.UsersDrainGrace == 5*time.Second }},
		{"USERS_METRICS_TOP", "7", func(c *Config) bool { return c.UsersMetricsTop == 7 }},
		{"ADMIN_TOKEN", "0123456789abcdefXYZ", func(c *Config) bool { return c.AdminToken == "0123456789abcdefXYZ" }},
		{"ADMIN_ALLOW", "10.0.0.0/8", func(c *Config) bool {
			return reflect.DeepEqual(c.AdminAllow, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
		}},
		{"STATE_URL", "rediss://app:pw@valkey:6380/1?prefix=fleet:", func(c *Config) bool { return c.StateURL == "rediss://app:pw@valkey:6380/1?prefix=fleet:" }},
		{"STATE_PASSWORD", "s3cret", func(c *Config) bool { return c.StatePassword == "s3cret" }},
		{"STATE_TIMEOUT", "20ms", func(c *Config) bool { return c.StateTimeout == 20*time.Millisecond }},
	}
}

func flagName(envName string) string {
	return "--" + strings.ReplaceAll(strings.ToLower(envName), "_", "-")
}

func TestEverySettingFromEnvAndFlag(t *testing.T) {
	covered := map[string]bool{"SECRET_FILE": true, "TLS_ONLY": true, "WEBPROXY_LISTEN": true, "DIRECT_FALLBACK": true} // tested on their own
	for _, tc := range settingCases() {
		covered[tc.env] = true
		t.Run(tc.env+"/env", func(t *testing.T) {
			c, _ := mustLoad(t, map[string]string{tc.env: tc.value})
			if !tc.check(c) {
				t.Errorf("%s=%s: got %+v", tc.env, tc.value, c)
			}
		})
		t.Run(tc.env+"/flag", func(t *testing.T) {
			args := []string{flagName(tc.env), tc.value}
			if tc.value == "true" { // a bool flag takes no separate word
				args = args[:1]
			}
			c, _ := mustLoad(t, nil, args...)
			if !tc.check(c) {
				t.Errorf("%s %s: got %+v", flagName(tc.env), tc.value, c)
			}
		})
		t.Run(tc.env+"/flag=", func(t *testing.T) {
			c, _ := mustLoad(t, nil, flagName(tc.env)+"="+tc.value)
			if !tc.check(c) {
				t.Errorf("%s=%s: got %+v", flagName(tc.env), tc.value, c)
			}
		})
	}
	for _, s := range settingTable() {
		if s.flag != "" && !covered[s.env] && s.env != "ARGS" {
			t.Errorf("setting %s has no test case", s.env)
		}
		if s.flag != "" && "--"+s.flag != flagName(s.env) {
			t.Errorf("setting %s has flag --%s, want %s", s.env, s.flag, flagName(s.env))
		}
	}
}

func TestTLSOnly(t *testing.T) {
	c, _ := mustLoad(t, map[string]string{"TLS_ONLY": "yes", "TLS_DOMAIN": "example.com"})
	if !c.TLSOnly || c.TLSDomain != "example.com" {
		t.Errorf("got TLSOnly=%v TLSDomain=%q", c.TLSOnly, c.TLSDomain)
	}
	c, _ = mustLoad(t, nil, "--tls-domain", "example.com", "--tls-only")
	if !c.TLSOnly {
		t.Error("--tls-only without a value did not turn it on")
	}
	c, _ = mustLoad(t, map[string]string{"TLS_ONLY": "true", "TLS_DOMAIN": "example.com"}, "--tls-only=false")
	if c.TLSOnly {
		t.Error("--tls-only=false did not override TLS_ONLY=true")
	}
}

func TestPrecedence(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		args []string
		port int
	}{
		{"default", nil, nil, 443},
		{"env", map[string]string{"PORT": "1001"}, nil, 1001},
		{"blank env is unset", map[string]string{"PORT": "  "}, nil, 443},
		{"ARGS over env", map[string]string{"PORT": "1001", "ARGS": "--port 1002"}, nil, 1002},
		{"command line over ARGS", map[string]string{"PORT": "1001", "ARGS": "--port 1002"}, []string{"--port=1003"}, 1003},
		{"official -H on the command line over env", map[string]string{"PORT": "1001"}, []string{"-H", "1004"}, 1004},
		{"last flag wins in one source", nil, []string{"--port", "1005", "-H", "1006"}, 1006},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := mustLoad(t, tc.vars, tc.args...)
			if c.Port != tc.port {
				t.Errorf("Port = %d, want %d", c.Port, tc.port)
			}
		})
	}
}

func TestListPrecedence(t *testing.T) {
	const a, b, cc, d = "0000000000000000000000000000000a", "0000000000000000000000000000000b",
		"0000000000000000000000000000000c", "0000000000000000000000000000000d"
	keys := func(c *Config) []byte {
		var out []byte
		for _, s := range c.Secrets {
			out = append(out, s.Key[15])
		}
		return out
	}
	c, _ := mustLoad(t, map[string]string{"SECRET": a + "," + b, "ARGS": "-S " + cc + " -S " + d})
	if got := keys(c); string(got) != "\x0c\x0d" {
		t.Errorf("ARGS -S -S over SECRET: keys %x, want 0c0d", got)
	}
	c, _ = mustLoad(t, map[string]string{"SECRET": a, "ARGS": "-S " + cc}, "--secret", b+","+d, "-S", a)
	if got := keys(c); string(got) != "\x0b\x0d\x0a" {
		t.Errorf("command line over ARGS: keys %x, want 0b0d0a", got)
	}
}

func TestMaxConnections(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		args []string
		want int
	}{
		{"default", map[string]string{"WORKERS": "2"}, nil, 120000},
		{"-C per worker", map[string]string{"WORKERS": "2"}, []string{"-C", "1000"}, 2000},
		{"-C on the command line over MAX_CONNECTIONS env", map[string]string{"MAX_CONNECTIONS": "5"}, []string{"-C", "7"}, 7},
		{"MAX_CONNECTIONS flag over -C in ARGS", map[string]string{"ARGS": "-C 7"}, []string{"--max-connections", "5"}, 5},
		{"-C 0 means default", nil, []string{"-C", "0"}, 60000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := mustLoad(t, tc.vars, tc.args...)
			if c.MaxConnections != tc.want {
				t.Errorf("MaxConnections = %d, want %d", c.MaxConnections, tc.want)
			}
		})
	}
}

func TestModeAndTag(t *testing.T) {
	const tag = "3f40462915a3e6026a4d790127b95ded"
	c, w := mustLoad(t, map[string]string{"TAG": "xyz"})
	if c.HasTag || c.Mode != ModeAuto || !hasWarning(w, "Bad tag format (TAG)") {
		t.Errorf("bad tag: HasTag=%v Mode=%s warnings %q", c.HasTag, c.Mode, w)
	}
	c, w = mustLoad(t, map[string]string{"TAG": tag, "MODE": "direct"})
	if !c.HasTag || c.Mode != ModeDirect || !hasWarning(w, "TAG is ignored in direct mode") {
		t.Errorf("direct with tag: Mode=%s warnings %q", c.Mode, w)
	}
	c, w = mustLoad(t, map[string]string{"MODE": "middle"})
	if c.HasTag || c.Mode != ModeMiddle || len(w) != 0 {
		t.Errorf("middle without tag: Mode=%s warnings %q", c.Mode, w)
	}
	c, w = mustLoad(t, map[string]string{"MODE": "middle", "DIRECT_FALLBACK_AFTER": "1m"})
	if c.Mode != ModeMiddle || !hasWarning(w, "DIRECT_FALLBACK_AFTER is ignored with MODE=middle") {
		t.Errorf("fallback setting with MODE=middle: Mode=%s warnings %q", c.Mode, w)
	}
	// Auto with or without a tag: the middle proxies whenever they can
	// serve (the tag no longer decides).
	c, w = mustLoad(t, nil, "-P", tag)
	if !c.HasTag || c.Mode != ModeAuto || len(w) != 0 {
		t.Errorf("-P: HasTag=%v Mode=%s", c.HasTag, c.Mode)
	}
	for _, w := range w {
		if strings.Contains(string(w), tag) {
			t.Errorf("warning %q shows the tag", w)
		}
	}
}

// DIRECT_FALLBACK is on by default; off from the environment or the flag.
func TestDirectFallbackOff(t *testing.T) {
	for _, src := range []struct {
		env  map[string]string
		args []string
	}{{map[string]string{"DIRECT_FALLBACK": "off"}, nil}, {nil, []string{"--direct-fallback=false"}}} {
		c, w := mustLoad(t, src.env, src.args...)
		if c.DirectFallback || c.Mode != ModeAuto || len(w) != 0 {
			t.Errorf("%v %v: DirectFallback %v, warnings %q", src.env, src.args, c.DirectFallback, w)
		}
	}
}

func TestProxyConfigURLv6KeepsExplicit(t *testing.T) {
	c, _ := mustLoad(t, map[string]string{"PREFER_IP": "prefer-ipv6", "PROXY_CONFIG_URL": "http://127.0.0.1/c"})
	if c.ProxyConfigURL != "http://127.0.0.1/c" {
		t.Errorf("ProxyConfigURL = %q", c.ProxyConfigURL)
	}
	c, _ = mustLoad(t, map[string]string{"PREFER_IP": "prefer-ipv4"})
	if c.ProxyConfigURL != "https://core.telegram.org/getProxyConfig" {
		t.Errorf("ProxyConfigURL = %q", c.ProxyConfigURL)
	}
}

func TestNATInfoAgreesWithIP(t *testing.T) {
	c, _ := mustLoad(t, map[string]string{"IP": "203.0.113.7", "NAT_INFO": "10.0.0.5:203.0.113.7"})
	if c.InternalIP != netip.MustParseAddr("10.0.0.5") {
		t.Errorf("InternalIP = %s", c.InternalIP)
	}
	c, _ = mustLoad(t, nil, "--nat-info", "[fd00::5]:[2001:db8::7]")
	if c.InternalIP != netip.MustParseAddr("fd00::5") || c.IP != netip.MustParseAddr("2001:db8::7") {
		t.Errorf("IPv6 nat-info: %s %s", c.InternalIP, c.IP)
	}
}
