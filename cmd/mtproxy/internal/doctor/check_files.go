package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/proxy/tgconfig"
)

// fileVerdict is one Telegram file: the download and the cache, each
// parsed and validated.
type fileVerdict struct {
	variable string // the cache's variable, for hints
	dl       download
	dlErr    error  // download or validation error
	dlDesc   string // what the valid download holds
	cache    cacheFile
	cacheErr error
	same     bool // both valid and equal
	warnings []string
}

// judge grades a file: a valid download is ok; a failed download with a
// valid cache a warning (the proxy starts on the cache), which calls the
// cache stale when it is older than two refresh intervals; neither a
// failure in middle mode. Direct mode does not use the files, and auto
// serves clients directly without them: both get warnings.
func (s *session) judge(v fileVerdict) Result {
	var r Result
	age := s.o.Now().Sub(v.cache.modTime)
	switch {
	case v.dlErr == nil:
		r = okf("downloaded from %s in %s: %s; %s", v.dl.host(), fmtDur(v.dl.took), v.dlDesc, s.cacheState(v))
	case v.cacheErr == nil && s.stale(age):
		r = warnf("download from %s failed (%s); the cache is stale: %s old (CONFIG_REFRESH_INTERVAL %s), and the proxy would start on it",
			v.dl.host(), oneLine(v.dlErr), fmtAge(age), s.cfg.ConfigRefreshInterval)
	case v.cacheErr == nil:
		r = warnf("download from %s failed (%s); the cache (%s old) would be used", v.dl.host(), oneLine(v.dlErr), fmtAge(age))
	default:
		r = failf("no usable copy: download from %s: %s; cache %s: %s", v.dl.host(), oneLine(v.dlErr), v.cache.path, oneLine(v.cacheErr))
	}
	if v.dlErr == nil && v.cacheErr != nil && !errors.Is(v.cacheErr, fs.ErrNotExist) {
		r = r.note(fmt.Sprintf("the cache %s is not usable: %s (%s); the proxy replaces it at its next download", v.cache.path, oneLine(v.cacheErr), v.variable)).atLeast(Warn)
	}
	if v.dlErr == nil && v.cacheErr == nil && !v.same && s.running().up && s.stale(age) {
		r = r.note(fmt.Sprintf("the running proxy has not refreshed the cache in %s (CONFIG_REFRESH_INTERVAL %s)", fmtAge(age), s.cfg.ConfigRefreshInterval)).atLeast(Warn)
	}
	r = r.note(v.warnings...)
	return s.middleUse(r)
}

// stale: a cache this old has missed at least one refresh.
func (s *session) stale(age time.Duration) bool {
	return age > 2*s.cfg.ConfigRefreshInterval
}

func (s *session) cacheState(v fileVerdict) string {
	age := s.o.Now().Sub(v.cache.modTime)
	switch {
	case errors.Is(v.cacheErr, fs.ErrNotExist):
		return fmt.Sprintf("no cache yet at %s", v.cache.path)
	case v.cacheErr != nil:
		return fmt.Sprintf("cache %s not usable", v.cache.path)
	case v.same:
		return fmt.Sprintf("cache %s (%s old) is the same", v.cache.path, fmtAge(age))
	case s.stale(age):
		return fmt.Sprintf("cache %s is stale (%s old) and differs: the proxy takes the new one at its next refresh", v.cache.path, fmtAge(age))
	}
	return fmt.Sprintf("cache %s (%s old) differs: the proxy takes the new one at its next refresh", v.cache.path, fmtAge(age))
}

// parseSecretFile validates a proxy secret.
func parseSecretFile(body []byte, err error) (*rpc.ProxySecret, error) {
	if err != nil {
		return nil, err
	}
	return rpc.ParseProxySecret(body)
}

func (s *session) checkProxySecret(context.Context) Result {
	f := s.files()
	v := fileVerdict{variable: "PROXY_SECRET_FILE", dl: f.secret, cache: f.secretCache}
	got, dlErr := parseSecretFile(f.secret.body, f.secret.err)
	cached, cacheErr := parseSecretFile(f.secretCache.body, f.secretCache.err)
	v.dlErr, v.cacheErr = dlErr, cacheErr
	if got != nil {
		v.dlDesc = fmt.Sprintf("%d bytes, valid", got.Len())
		v.same = cached != nil && got.Equal(cached)
	}
	return s.judge(v)
}

// parseConfigFile parses and validates a middle-proxy list.
func parseConfigFile(body []byte, err error) (*tgconfig.Config, error) {
	if err != nil {
		return nil, err
	}
	c, err := tgconfig.Parse(body)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(nil); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *session) checkProxyConfig(context.Context) Result {
	f := s.files()
	v := fileVerdict{variable: "PROXY_CONFIG_FILE", dl: f.config, cache: f.configCache}
	got, dlErr := parseConfigFile(f.config.body, f.config.err)
	cached, cacheErr := parseConfigFile(f.configCache.body, f.configCache.err)
	v.dlErr, v.cacheErr = dlErr, cacheErr
	if got != nil {
		v.dlDesc = describeConfig(got)
		if cached != nil {
			a, _ := got.MarshalText()
			b, _ := cached.MarshalText()
			v.same = bytes.Equal(a, b)
			if err := got.Validate(cached); errors.Is(err, tgconfig.ErrShrunk) {
				v.warnings = append(v.warnings, fmt.Sprintf("the download lists far fewer DCs than the cache (%d against %d): a running proxy keeps its list", len(got.DCs()), len(cached.DCs())))
			}
		}
	}
	return s.judge(v)
}

func describeConfig(c *tgconfig.Config) string {
	n := 0
	for _, addrs := range c.Targets {
		n += len(addrs)
	}
	return fmt.Sprintf("%s for %s, default DC %d", plural(n, "middle proxy", "middle proxies"), plural(len(c.DCs()), "DC", "DCs"), c.Default)
}

// middleList is the list the proxy would use: the download when valid,
// else the cache; with where it came from.
func (s *session) middleList() (*tgconfig.Config, string, error) {
	f := s.files()
	got, dlErr := parseConfigFile(f.config.body, f.config.err)
	if got != nil {
		return got, "downloaded", nil
	}
	cached, cacheErr := parseConfigFile(f.configCache.body, f.configCache.err)
	if cached != nil {
		return cached, "cached", nil
	}
	return nil, "", fmt.Errorf("download: %s; cache: %s", oneLine(dlErr), oneLine(cacheErr))
}

// proxySecret is the secret the proxy would use: downloaded, else cached.
func (s *session) proxySecret() *rpc.ProxySecret {
	f := s.files()
	if got, _ := parseSecretFile(f.secret.body, f.secret.err); got != nil {
		return got
	}
	cached, _ := parseSecretFile(f.secretCache.body, f.secretCache.err)
	return cached
}
