package doctor

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/fakecore"
)

// middleConfig is a getProxyConfig file listing addr for each DC, the
// first being the default.
func middleConfig(addr string, dcs ...int) []byte {
	var b strings.Builder
	b.WriteString("# test config\n")
	for _, id := range dcs {
		fmt.Fprintf(&b, "proxy_for %d %s;\n", id, addr)
	}
	fmt.Fprintf(&b, "default %d;\n", dcs[0])
	return []byte(b.String())
}

// withCore serves secret and config from a fake core.telegram.org.
func withCore(t *testing.T, e env, secret, config []byte) *fakecore.Server {
	core := fakecore.New(secret, config, nil)
	t.Cleanup(core.Close)
	e["PROXY_SECRET_URL"], e["PROXY_CONFIG_URL"] = core.SecretURL(), core.ConfigURL()
	return core
}

func TestCheckProxyFilesDownloaded(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "middle"
	secret, conf := proxySecretBytes(t), middleConfig("127.0.0.1:8888", 2, 1, -2)
	withCore(t, e, secret, conf)
	writeFile(t, e["PROXY_SECRET_FILE"], secret, time.Minute)
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkProxySecret(context.Background()), OK, "downloaded from 127.0.0.1:", "128 bytes, valid", "(1m old) is the same")
	want(t, s.checkProxyConfig(context.Background()), OK, "3 middle proxies for 3 DCs, default DC 2", "no cache yet at "+e["PROXY_CONFIG_FILE"])
}

func TestCheckProxyFilesCacheDiffers(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "middle"
	withCore(t, e, proxySecretBytes(t), middleConfig("127.0.0.1:8888", 2))
	writeFile(t, e["PROXY_SECRET_FILE"], proxySecretBytes(t), 3*time.Hour)
	writeFile(t, e["PROXY_CONFIG_FILE"], middleConfig("127.0.0.1:8888", 2, 1, 3, 4, 5), 10*time.Minute)
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkProxySecret(context.Background()), OK, "cache "+e["PROXY_SECRET_FILE"]+" is stale (3h00m old) and differs")
	want(t, s.checkProxyConfig(context.Background()), OK, "(10m old) differs", "lists far fewer DCs than the cache (1 against 5)")
}

func TestCheckProxyFilesDownloadFails(t *testing.T) {
	cases := []struct {
		name      string
		mode      string
		cacheAge  time.Duration // 0: no cache
		st        Status
		fragments []string
	}{
		{"fresh cache", "middle", 10 * time.Minute, Warn, []string{"download from 127.0.0.1:", "failed (", "the cache (10m old) would be used"}},
		{"stale cache", "middle", 50 * time.Hour, Warn, []string{"the cache is stale: 2d2h old (CONFIG_REFRESH_INTERVAL 1h0m0s)"}},
		{"no cache", "middle", 0, Fail, []string{"no usable copy", "no such file or directory"}},
		{"no cache, direct", "direct", 0, Warn, []string{"no usable copy", "not used in direct mode"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := baseEnv(t)
			e["MODE"] = c.mode
			if c.cacheAge > 0 {
				writeFile(t, e["PROXY_SECRET_FILE"], proxySecretBytes(t), c.cacheAge)
				writeFile(t, e["PROXY_CONFIG_FILE"], middleConfig("127.0.0.1:8888", 2), c.cacheAge)
			}
			s := newTestSession(t, e, testOptions(t))
			want(t, s.checkProxySecret(context.Background()), c.st, c.fragments...)
			want(t, s.checkProxyConfig(context.Background()), c.st, c.fragments...)
		})
	}
}

// What the server answers must be the file, not an error page.
func TestCheckProxyFilesBadDownload(t *testing.T) {
	e := baseEnv(t)
	e["MODE"] = "middle"
	core := withCore(t, e, []byte("<html>blocked</html>"), []byte("<html>blocked</html>"))
	writeFile(t, e["PROXY_CONFIG_FILE"], []byte("proxy_for 2 nonsense"), time.Minute)
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkProxySecret(context.Background()), Fail, "no usable copy", "cache "+e["PROXY_SECRET_FILE"])
	want(t, s.checkProxyConfig(context.Background()), Fail, "no usable copy")

	core.SetStatus(http.StatusForbidden)
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkProxyConfig(context.Background()), Fail, "HTTP status 403 Forbidden")

	core.SetStatus(0)
	core.Set(fakecore.PathConfig, middleConfig("127.0.0.1:8888", 2))
	s = newTestSession(t, e, testOptions(t))
	want(t, s.checkProxyConfig(context.Background()), Warn, "the cache "+e["PROXY_CONFIG_FILE"]+" is not usable")
}
