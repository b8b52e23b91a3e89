package config

import (
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/kelseyhightower/envconfig"
	"github.com/mtproxy/mtproxy/proxy"
)

// Load builds the configuration from, in increasing precedence: the
// defaults, the environment, the words of ARGS, then args (the command
// line, os.Args[1:]). It validates everything, resolves the secrets
// (reading, or generating and saving SECRET_FILE; rand feeds the
// generation, crypto/rand when nil) and returns the warnings to print.
//
// Errors are *Error values (one line naming the variable and flag, the
// problem and an example), except a failing rand. A --help/-h on the command
// line returns an error wrapping flag.ErrHelp; print Usage then.
func Load(args []string, rand io.Reader) (*Config, []Warning, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	l := newLoader(rand)
	if err := l.loadEnv(); err != nil {
		return nil, nil, err
	}
	words, err := splitWords(l.v.Args.s)
	if err != nil {
		return nil, nil, newError("ARGS", err.Error(), `ARGS="-D www.example.com --tag 3f40462915a3e6026a4d790127b95ded"`, ErrUsage)
	}
	if err := l.parseSource(words, srcArgs, "in ARGS"); err != nil {
		return nil, nil, err
	}
	if err := l.parseSource(args, srcCommand, "on the command line"); err != nil {
		return nil, nil, err
	}
	c, err := l.resolve()
	if err != nil {
		return nil, nil, err
	}
	if err := l.resolveSecrets(c); err != nil {
		return nil, nil, err
	}
	return c, l.warns, nil
}

// loadEnv applies the environment through envconfig and notes which
// variables were set (a blank value counts as unset).
func (l *loader) loadEnv() error {
	l.src = srcEnv
	if err := envconfig.Process("", l.v); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return l.wrap(pe.Err, pe.KeyName, "", "")
		}
		return fmt.Errorf("config: reading the environment: %w", err)
	}
	for key := range l.byKey {
		if v, ok := os.LookupEnv(key); ok && strings.TrimSpace(v) != "" {
			l.setBy[key] = srcEnv
		}
	}
	return nil
}

// resolve checks the settings against each other and builds the Config
// (all but the secrets).
func (l *loader) resolve() (*Config, error) {
	v := l.v
	c := &Config{
		Workers:                v.Workers.n,
		Debug:                  v.Debug.b,
		ProxySecretFile:        v.ProxySecretFile.s,
		ProxyConfigFile:        v.ProxyConfigFile.s,
		IP:                     v.IP.v,
		InternalIP:             v.InternalIP.v,
		Port:                   v.Port.n,
		InternalPort:           v.InternalPort.n,
		Bind:                   v.Bind.v,
		InternalBind:           v.InternalBind.v,
		TLSDomain:              v.TLSDomain.s,
		TLSOnly:                v.TLSOnly.b,
		FrontingAddr:           v.FrontingAddr.s,
		FrontingLifetime:       v.FrontingLifetime.d,
		FrontingMaxBytes:       int64(v.FrontingMaxBytes.n),
		FrontingProxyProtocol:  v.FrontingProxyProtocol.s,
		DrainTimeout:           v.DrainTimeout.d,
		UnknownSNI:             SNIPolicy(v.UnknownSNI.s),
		MaxUnauth:              v.MaxUnauth.n,
		MaxUnauthPerIP:         v.MaxUnauthPerIP.n,
		ProxyProtocolTrusted:   v.ProxyProtocolTrusted.items,
		TLSRecordInitial:       v.TLSRecordInitial.n,
		TLSRecordRamp:          v.TLSRecordRamp.n,
		TLSProfileInterval:     v.TLSProfileInterval.d,
		PreferIP:               PreferIP(v.PreferIP.s),
		DialTimeout:            v.DialTimeout.d,
		HandshakeTimeout:       v.HandshakeTimeout.d,
		IdleTimeout:            v.IdleTimeout.d,
		TimeSkew:               v.TimeSkew.d,
		ShutdownTimeout:        v.ShutdownTimeout.d,
		ReplayCacheFile:        v.ReplayCacheFile.s,
		RefuseUptimeTimestamps: v.UptimeTimestamps.s == "refuse",
		ProxySecretURL:         v.ProxySecretURL.s,
		ProxyConfigURL:         v.ProxyConfigURL.s,
		ConfigRefreshInterval:  v.ConfigRefreshInterval.d,
		MiddleMemoryBudget:     int64(v.MiddleMemoryBudget.n) << 20,
		StatsAllow:             v.StatsAllow.items,
		HealthAllow:            v.HealthAllow.items,
		MetricsAllow:           v.MetricsAllow.items,
		NTPServers:             v.NTPServers.items,
		IPDetectURLs:           v.IPDetectURLs.items,
		DCProbeInterval:        v.DCProbeInterval.d,
		LogFormat:              LogFormat(v.LogFormat.s),
		LogLevel:               LogLevel(v.LogLevel.s),
		UsersFile:              v.UsersFile.s,
		UsersStateFile:         v.UsersStateFile.s,
		UsersDrainGrace:        v.UsersDrainGrace.d,
		UsersMetricsTop:        v.UsersMetricsTop.n,
		AdminToken:             v.AdminToken.s,
		AdminAllow:             v.AdminAllow.items,
		StateURL:               v.StateURL.s,
		StatePassword:          v.StatePassword.s,
		StateTimeout:           v.StateTimeout.d,
	}
	if !c.InternalBind.IsValid() {
		c.InternalBind = c.Bind
	}
	if c.Port == c.InternalPort {
		return nil, newError("PORT", fmt.Sprintf("%d is also INTERNAL_PORT; the client port and the stats port must differ", c.Port), "PORT=443 INTERNAL_PORT=2398", ErrConflict)
	}
	if c.MaxUnauthPerIP > c.MaxUnauth {
		return nil, newError("MAX_UNAUTH_PER_IP", fmt.Sprintf("%d is above MAX_UNAUTH_CONNECTIONS (%d)", c.MaxUnauthPerIP, c.MaxUnauth), "MAX_UNAUTH_CONNECTIONS=4096 MAX_UNAUTH_PER_IP=64", ErrConflict)
	}
	if c.TLSOnly && c.TLSDomain == "" {
		return nil, newError("TLS_ONLY", "needs TLS_DOMAIN: FakeTLS is off without a domain", "TLS_ONLY=true TLS_DOMAIN=www.example.com", ErrConflict)
	}
	if err := l.resolveNAT(c); err != nil {
		return nil, err
	}
	l.resolveTag(c)
	c.Mode = Mode(v.Mode.s)
	c.DirectFallback, c.DirectFallbackAfter = v.DirectFallback.b, v.DirectFallbackAfter.d
	if c.Mode == ModeDirect && c.HasTag {
		l.warn("TAG is ignored in direct mode: the advertising tag needs MODE=middle (or auto)")
	}
	if c.Mode != ModeAuto {
		for _, k := range []string{"DIRECT_FALLBACK", "DIRECT_FALLBACK_AFTER"} {
			if _, set := l.setBy[k]; set {
				l.warn(k + " is ignored with MODE=" + string(c.Mode) + ": only MODE=auto falls back to direct")
			}
		}
	}
	// The connection limit: the more precedent of MAX_CONNECTIONS and -C.
	c.MaxConnections = proxy.DefaultMaxConnections * c.Workers // the limit per worker
	maxBy, maxSet := l.setBy["MAX_CONNECTIONS"]
	perBy := l.setBy["-C"]
	switch {
	case maxSet && (v.PerWorker.n == 0 || maxBy >= perBy):
		c.MaxConnections = v.MaxConnections.n
	case v.PerWorker.n > 0:
		c.MaxConnections = v.PerWorker.n * c.Workers
	}
	if _, set := l.setBy["PROXY_CONFIG_URL"]; !set && c.PreferIP.WantsIPv6() {
		c.ProxyConfigURL = DefaultProxyConfigURLv6
	}
	if c.Debug {
		c.LogLevel = LevelDebug
	}
	if err := l.resolveWebProxy(c); err != nil {
		return nil, err
	}
	if len(v.DCAddrs.items) > 0 {
		c.DCAddrs = make(map[int][]netip.AddrPort)
		for _, d := range v.DCAddrs.items {
			c.DCAddrs[d.id] = append(c.DCAddrs[d.id], d.ap)
		}
	}
	return c, nil
}

// resolveNAT merges NAT_INFO into IP and INTERNAL_IP; they must agree.
func (l *loader) resolveNAT(c *Config) error {
	if !l.v.NATInfo.set {
		return nil
	}
	n := l.v.NATInfo.v
	if c.IP.IsValid() && c.IP != n.Public {
		return newError("NAT_INFO", fmt.Sprintf("public address %s differs from IP %s", n.Public, c.IP), "NAT_INFO=10.0.0.5:203.0.113.7 with IP=203.0.113.7 or IP unset", ErrConflict)
	}
	if c.InternalIP.IsValid() && c.InternalIP != n.Local {
		return newError("NAT_INFO", fmt.Sprintf("local address %s differs from INTERNAL_IP %s", n.Local, c.InternalIP), "NAT_INFO=10.0.0.5:203.0.113.7 with INTERNAL_IP=10.0.0.5 or INTERNAL_IP unset", ErrConflict)
	}
	c.IP, c.InternalIP = n.Public, n.Local
	return nil
}

// resolveTag parses TAG; a bad one is a warning and is ignored, as in the
// seed. The value is not repeated in the warning.
func (l *loader) resolveTag(c *Config) {
	raw := l.v.Tag.s
	if raw == "" {
		return
	}
	tag, ok := parseHex16(raw)
	if !ok {
		l.warn(fmt.Sprintf("Bad tag format (TAG): should be 32 hex chars (for 16 bytes), got %d characters; continuing without a tag", len(raw)))
		return
	}
	c.Tag, c.HasTag = tag, true
}
