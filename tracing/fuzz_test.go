package tracing

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// escapeAll percent-encodes every byte, the one encoding parseKeyValues must
// always decode back exactly.
func escapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// FuzzParseKeyValues checks parseKeyValues never panics, returns trimmed
// non-empty keys, and that re-encoding what it returned parses back to the
// same entries.
func FuzzParseKeyValues(f *testing.F) {
	for _, s := range []string{"a=1,b=2", " k = v%20w ,", "x=%2C%3D", "=", ",,,", "k=%zz", "service.name=mtproxy,deployment.environment=prod"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kvs, err := parseKeyValues(s)
		if err != nil {
			return
		}
		parts := make([]string, len(kvs))
		for i, kv := range kvs {
			if kv.key == "" || kv.key != strings.TrimSpace(kv.key) || strings.ContainsAny(kv.key, ",=") {
				t.Fatalf("bad key %q from %q", kv.key, s)
			}
			parts[i] = kv.key + "=" + escapeAll(kv.value)
		}
		back, err := parseKeyValues(strings.Join(parts, ","))
		if err != nil {
			t.Fatalf("re-encoded %q: %v", parts, err)
		}
		if len(back) != len(kvs) {
			t.Fatalf("round trip: %q -> %q", kvs, back)
		}
		for i := range kvs {
			if back[i] != kvs[i] {
				t.Fatalf("round trip: %q -> %q", kvs, back)
			}
		}
	})
}

// FuzzReadConfig feeds arbitrary endpoint, protocol and header values:
// readConfig must never panic, an accepted endpoint must be an absolute
// http(s) URL with a host, and header values must never appear in errors.
func FuzzReadConfig(f *testing.F) {
	f.Add("http://127.0.0.1:4317", "grpc", "k=v", "true")
	f.Add("collector:4318/base", "http/protobuf", "Authorization=Bearer%20x", "false")
	f.Add("https://[::1]:4318", "http/json", "a=b,c=d", "")
	f.Add("ftp://x", "bogus", "oops", "maybe")
	f.Fuzz(func(t *testing.T, endpoint, protocol, headers, insecure string) {
		cfg, err := readConfig(mapEnv(map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
			"OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
			"OTEL_EXPORTER_OTLP_HEADERS":  headers,
			"OTEL_EXPORTER_OTLP_INSECURE": insecure,
			"OTEL_TRACES_EXPORTER":        "otlp",
		}))
		if err != nil {
			if v := strings.TrimSpace(headers); len(v) > 8 && strings.Contains(err.Error(), v) {
				t.Fatalf("error %q shows the headers", err)
			}
			return
		}
		u, perr := url.Parse(cfg.endpoint)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("accepted endpoint %q from %q", cfg.endpoint, endpoint)
		}
	})
}
