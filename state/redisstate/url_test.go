package redisstate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/redisserver"
)

func TestParseURL(t *testing.T) {
	c, err := ParseURL("redis://app:s3cret-pw@valkey.svc:6380/2?prefix=fleet1:&dial_timeout=2s&pool_size=7")
	if err != nil {
		t.Fatal(err)
	}
	o := c.Redis
	if o.Addr != "valkey.svc:6380" || o.Username != "app" || o.Password != "s3cret-pw" || o.DB != 2 {
		t.Errorf("options %+v", o)
	}
	if o.DialTimeout != 2*time.Second || o.PoolSize != 7 {
		t.Errorf("go-redis query options not applied: dial %v pool %d", o.DialTimeout, o.PoolSize)
	}
	if c.Prefix != "fleet1:" {
		t.Errorf("prefix %q", c.Prefix)
	}
	if o.TLSConfig != nil {
		t.Error("TLS on for redis://")
	}
	if o.MaxRetries != -1 {
		t.Errorf("MaxRetries %d: a retried SET NX or INCRBY counts twice, retries must be off", o.MaxRetries)
	}

	c, err = ParseURL("rediss://:pw@[::1]")
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.Addr != "[::1]:6379" || c.Redis.TLSConfig == nil || c.Redis.TLSConfig.ServerName != "::1" {
		t.Errorf("rediss: addr %q tls %+v", c.Redis.Addr, c.Redis.TLSConfig)
	}
	if c.Prefix != DefaultPrefix {
		t.Errorf("default prefix %q", c.Prefix)
	}
}

func TestParseURLCAFile(t *testing.T) {
	srv := redisserver.Start(t, redisserver.Options{TLS: true})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ParseURL("rediss://127.0.0.1:1/?ca_file=" + ca)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.TLSConfig.RootCAs == nil {
		t.Fatal("ca_file not loaded")
	}
	if _, err := ParseURL("redis://127.0.0.1/?ca_file=" + ca); err == nil {
		t.Error("ca_file without TLS accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	_ = os.WriteFile(empty, []byte("not a certificate\n"), 0o600)
	if _, err := ParseURL("rediss://127.0.0.1/?ca_file=" + empty); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Errorf("a file without certificates: %v", err)
	}
}

// Bad URLs are refused with ErrURL, and no error quotes the password.
func TestParseURLErrors(t *testing.T) {
	const pw = "hunter2-do-not-log"
	for _, raw := range []string{
		"http://u:" + pw + "@host:6379",
		"redis://u:" + pw + "@host:6379/notadb",
		"redis://u:" + pw + "@host:6379/1/2",
		"redis://u:" + pw + "@host:6379?prefix=has%20space",
		"redis://u:" + pw + "@host:6379?prefix=" + strings.Repeat("p", 65),
		"redis://u:" + pw + "@host:6379?bogus=1",
		"redis://u:" + pw + "@host:6379?dial_timeout=soon",
		"redis://u:" + pw + "@host:bad",
		"redis://u:" + pw + "@:6379" + string(rune(0x7f)),
		"rediss://u:" + pw + "@host/?ca_file=/nonexistent/ca.pem",
		"redis:///0",
		"u:" + pw + "@host",
	} {
		_, err := ParseURL(raw)
		if !errors.Is(err, ErrURL) {
			t.Errorf("%q: %v, want ErrURL", raw, err)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error quotes the password: %v", err)
		}
	}
}

func TestRedacted(t *testing.T) {
	if got := Redacted("redis://u:secret@h:1/0?prefix=x:"); strings.Contains(got, "secret") || !strings.Contains(got, "h:1") {
		t.Errorf("Redacted: %q", got)
	}
}
