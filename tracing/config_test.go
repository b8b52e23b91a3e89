package tracing

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// mapEnv turns a map into a getenv.
func mapEnv(m map[string]string) env {
	return func(k string) string { return m[k] }
}

func TestEnabledMatrix(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set is off", nil, false},
		{"unrelated OTEL vars keep it off", map[string]string{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}, false},
		{"endpoint turns it on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317"}, true},
		{"traces endpoint turns it on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4317"}, true},
		{"blank endpoint is unset", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "  "}, false},
		{"exporter otlp turns it on", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"exporter OTLP, case-insensitive", map[string]string{"OTEL_TRACES_EXPORTER": " OTLP "}, true},
		{"sdk disabled wins over endpoint", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317"}, false},
		{"sdk disabled TRUE", map[string]string{"OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_EXPORTER": "otlp"}, false},
		{"sdk disabled false", map[string]string{"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"exporter none wins over endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317"}, false},
		{"off ignores bad values elsewhere", map[string]string{"OTEL_SDK_DISABLED": "true",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://x", "OTEL_TRACES_SAMPLER": "bogus", "OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := readConfig(mapEnv(tt.env))
			if err != nil {
				t.Fatalf("readConfig: %v", err)
			}
			if cfg.enabled != tt.want {
				t.Fatalf("enabled = %v, want %v", cfg.enabled, tt.want)
			}
		})
	}
}

func TestEndpointAndProtocol(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		protocol Protocol
		endpoint string
	}{
		{"default grpc endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"},
			ProtocolGRPC, "http://localhost:4317"},
		{"default http endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
			ProtocolHTTPProtobuf, "http://localhost:4318/v1/traces"},
		{"grpc drops a path", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317/ignored"},
			ProtocolGRPC, "https://collector:4317"},
		{"http base URL gets /v1/traces", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, ProtocolHTTPProtobuf, "http://c:4318/v1/traces"},
		{"http base URL with a path prefix", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://saas.example/otlp/",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, ProtocolHTTPJSON, "https://saas.example/otlp/v1/traces"},
		{"traces endpoint used as is", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/custom/path",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
			ProtocolHTTPProtobuf, "http://c:4318/custom/path"},
		{"traces endpoint without path gets /", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, ProtocolHTTPProtobuf, "http://c:4318/"},
		{"traces protocol wins", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
			"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"},
			ProtocolHTTPProtobuf, "http://c:4318/v1/traces"},
		{"no scheme means TLS", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"},
			ProtocolGRPC, "https://collector:4317"},
		{"no scheme and insecure", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317",
			"OTEL_EXPORTER_OTLP_INSECURE": "true"}, ProtocolGRPC, "http://collector:4317"},
		{"traces insecure wins", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317",
			"OTEL_EXPORTER_OTLP_INSECURE": "true", "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false"},
			ProtocolGRPC, "https://collector:4317"},
		{"a scheme beats insecure", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317",
			"OTEL_EXPORTER_OTLP_INSECURE": "true"}, ProtocolGRPC, "https://collector:4317"},
		{"ipv6 literal", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "[::1]:4317", "OTEL_EXPORTER_OTLP_INSECURE": "true"},
			ProtocolGRPC, "http://[::1]:4317"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := readConfig(mapEnv(tt.env))
			if err != nil {
				t.Fatalf("readConfig: %v", err)
			}
			if cfg.protocol != tt.protocol || cfg.endpoint != tt.endpoint {
				t.Fatalf("got %s %s, want %s %s", cfg.protocol, cfg.endpoint, tt.protocol, tt.endpoint)
			}
		})
	}
}

func TestExporterSettings(t *testing.T) {
	cfg, err := readConfig(mapEnv(map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.timeout != 10*time.Second || cfg.gzip || len(cfg.headers) != 0 || cfg.headers == nil {
		t.Fatalf("defaults: timeout %v gzip %v headers %v", cfg.timeout, cfg.gzip, cfg.headers)
	}

	cfg, err = readConfig(mapEnv(map[string]string{
		"OTEL_TRACES_EXPORTER":                  "otlp",
		"OTEL_EXPORTER_OTLP_HEADERS":            "ignored=1",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS":     " Authorization = Bearer%20abc%2Cdef , X-Team=a=b,",
		"OTEL_EXPORTER_OTLP_TIMEOUT":            "1",
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT":     "2500",
		"OTEL_EXPORTER_OTLP_COMPRESSION":        "none",
		"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "GZIP",
	}))
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := map[string]string{"authorization": "Bearer abc,def", "x-team": "a=b"}
	if len(cfg.headers) != len(wantHeaders) {
		t.Fatalf("headers = %q", cfg.headers)
	}
	for k, v := range wantHeaders {
		if cfg.headers[k] != v {
			t.Fatalf("headers = %q, want %q", cfg.headers, wantHeaders)
		}
	}
	if cfg.timeout != 2500*time.Millisecond || !cfg.gzip {
		t.Fatalf("timeout %v gzip %v", cfg.timeout, cfg.gzip)
	}
}

func TestConfigErrors(t *testing.T) {
	on := func(kv ...string) map[string]string {
		m := map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		varName string
		hidden  string // must not appear in the message
	}{
		{"sdk disabled not a bool", map[string]string{"OTEL_SDK_DISABLED": "yes"}, "OTEL_SDK_DISABLED", ""},
		{"exporter unsupported", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER", ""},
		{"exporter contradiction", map[string]string{"OTEL_TRACES_EXPORTER": "otlp,none"}, "OTEL_TRACES_EXPORTER", ""},
		{"protocol", on("OTEL_EXPORTER_OTLP_PROTOCOL", "http/xml"), "OTEL_EXPORTER_OTLP_PROTOCOL", ""},
		{"traces protocol", on("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "udp"), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", ""},
		{"scheme", on("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://c:1"), "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"no host", on("OTEL_EXPORTER_OTLP_ENDPOINT", "http://:4317"), "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"port range", on("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:70000"), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ""},
		{"port zero", on("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:0"), "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"credentials in URL", on("OTEL_EXPORTER_OTLP_ENDPOINT", "https://user:hunter2@c:4317"), "OTEL_EXPORTER_OTLP_ENDPOINT", "hunter2"},
		{"query", on("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317/?a=b"), "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"unparsable", on("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317/%zz"), "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"insecure not a bool", on("OTEL_EXPORTER_OTLP_ENDPOINT", "c:4317", "OTEL_EXPORTER_OTLP_INSECURE", "1"), "OTEL_EXPORTER_OTLP_INSECURE", ""},
		{"header without =", on("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret,oops"), "OTEL_EXPORTER_OTLP_HEADERS", "s3cret"},
		{"header bad name", on("OTEL_EXPORTER_OTLP_HEADERS", "bad name=s3cret"), "OTEL_EXPORTER_OTLP_HEADERS", "s3cret"},
		{"header bad value", on("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "k=s3cret%0Aevil"), "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "s3cret"},
		{"header bad escape", on("OTEL_EXPORTER_OTLP_HEADERS", "k=s3cret%zz"), "OTEL_EXPORTER_OTLP_HEADERS", "s3cret"},
		{"timeout text", on("OTEL_EXPORTER_OTLP_TIMEOUT", "10s"), "OTEL_EXPORTER_OTLP_TIMEOUT", ""},
		{"timeout zero", on("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0"), "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", ""},
		{"compression", on("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"), "OTEL_EXPORTER_OTLP_COMPRESSION", ""},
		{"sampler", on("OTEL_TRACES_SAMPLER", "jaeger_remote"), "OTEL_TRACES_SAMPLER", ""},
		{"sampler arg range", on("OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "1.5"), "OTEL_TRACES_SAMPLER_ARG", ""},
		{"sampler arg NaN", on("OTEL_TRACES_SAMPLER", "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG", "NaN"), "OTEL_TRACES_SAMPLER_ARG", ""},
		{"sampler arg text", on("OTEL_TRACES_SAMPLER", "traceidratio", "OTEL_TRACES_SAMPLER_ARG", "half"), "OTEL_TRACES_SAMPLER_ARG", ""},
		{"resource attributes", on("OTEL_RESOURCE_ATTRIBUTES", "a=1,b"), "OTEL_RESOURCE_ATTRIBUTES", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readConfig(mapEnv(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidEnv) {
				t.Errorf("%v does not match ErrInvalidEnv", err)
			}
			var ee *EnvError
			if !errors.As(err, &ee) || ee.Name != tt.varName {
				t.Fatalf("error %v does not name %s", err, tt.varName)
			}
			if !strings.Contains(err.Error(), tt.varName) {
				t.Errorf("message %q does not name %s", err, tt.varName)
			}
			if tt.hidden != "" && strings.Contains(err.Error(), tt.hidden) {
				t.Errorf("message %q leaks %q", err, tt.hidden)
			}
		})
	}
}

func TestSamplerConfig(t *testing.T) {
	tests := []struct {
		sampler, arg string
		want         samplerConfig
	}{
		{"", "", samplerConfig{name: "parentbased_always_on", ratio: 1}},
		{"", "0.5", samplerConfig{name: "parentbased_always_on", ratio: 1}}, // arg ignored
		{"ALWAYS_OFF", "", samplerConfig{name: "always_off", ratio: 1}},
		{"traceidratio", "", samplerConfig{name: "traceidratio", ratio: 1}},
		{"traceidratio", "0", samplerConfig{name: "traceidratio", ratio: 0}},
		{"parentbased_traceidratio", " 0.25 ", samplerConfig{name: "parentbased_traceidratio", ratio: 0.25}},
		{"always_on", "garbage", samplerConfig{name: "always_on", ratio: 1}}, // arg ignored, as the SDK does
	}
	for _, tt := range tests {
		got, err := readSampler(mapEnv(map[string]string{"OTEL_TRACES_SAMPLER": tt.sampler, "OTEL_TRACES_SAMPLER_ARG": tt.arg}))
		if err != nil || got != tt.want {
			t.Errorf("%q %q: got %+v, %v; want %+v", tt.sampler, tt.arg, got, err, tt.want)
		}
	}
	if DefaultSampler != "parentbased_always_on" {
		t.Errorf("DefaultSampler = %q: the documented default is the SDK's parentbased_always_on", DefaultSampler)
	}
}

func TestParseKeyValues(t *testing.T) {
	got, err := parseKeyValues(" a = 1 ,, b=x%3Dy%2Cz ,c=,d= %20 ,")
	if err != nil {
		t.Fatal(err)
	}
	want := []keyValue{{"a", "1"}, {"b", "x=y,z"}, {"c", ""}, {"d", " "}}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	for _, bad := range []string{"novalue", "=v", " =v", "k=%", "k=%g0"} {
		if _, err := parseKeyValues(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got, err := parseKeyValues(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %q %v", got, err)
	}
}
