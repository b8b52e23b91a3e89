package tracing

import (
	"errors"
	"strings"
	"testing"
)

// FuzzValidate feeds arbitrary endpoint, protocol, header and insecure
// values: validate must never panic, and the endpoint and header values,
// which may hold credentials, must never appear in its errors.
func FuzzValidate(f *testing.F) {
	f.Add("http://127.0.0.1:4317", "grpc", "k=v", "true")
	f.Add("collector:4318/base", "http/protobuf", "Authorization=Bearer%20x", "false")
	f.Add("https://u:p@[::1]:4318", "http/json", "a=b,c=d", "")
	f.Add("ftp://x", "bogus", "oops", "maybe")
	f.Fuzz(func(t *testing.T, endpoint, protocol, headers, insecure string) {
		err := validate(mapEnv(map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
			"OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
			"OTEL_EXPORTER_OTLP_HEADERS":  headers,
			"OTEL_EXPORTER_OTLP_INSECURE": insecure,
		}))
		var ee *EnvError
		if err == nil {
			return
		} else if !errors.As(err, &ee) {
			t.Fatalf("%v is not an *EnvError", err)
		}
		if (strings.HasSuffix(ee.Name, "ENDPOINT") || strings.HasSuffix(ee.Name, "HEADERS")) && ee.Value != "" {
			t.Fatalf("error %q shows the value of %s", err, ee.Name)
		}
	})
}
