package tracing

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// mapEnv turns a map into a getenv.
func mapEnv(m map[string]string) getenv {
	return func(k string) string { return m[k] }
}

// setEnv makes m the whole OTEL_* environment of the test: every OTEL_*
// variable of the process is blanked (the SDK treats blank as unset), then
// m is set. The test must not be parallel.
func setEnv(t *testing.T, m map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OTEL_") {
			t.Setenv(k, "")
		}
	}
	for k, v := range m {
		t.Setenv(k, v)
	}
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := enabled(mapEnv(tt.env))
			if err != nil {
				t.Fatalf("enabled: %v", err)
			}
			if got != tt.want {
				t.Fatalf("enabled = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestValidateAccepts: values the SDK reads as meant pass.
func TestValidateAccepts(t *testing.T) {
	for _, m := range []map[string]string{
		nil,
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317/ignored", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://saas.example/otlp/", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://[::1]:4318/custom/path", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"},
		{"OTEL_EXPORTER_OTLP_HEADERS": "ignored=1",
			"OTEL_EXPORTER_OTLP_TRACES_HEADERS": " Authorization = Bearer%20abc%2Cdef , X-Team=a=b,",
			"OTEL_EXPORTER_OTLP_TIMEOUT":        "1", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2500",
			"OTEL_EXPORTER_OTLP_COMPRESSION": "none", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip",
			"OTEL_EXPORTER_OTLP_INSECURE": "TRUE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false"},
		{"OTEL_TRACES_SAMPLER": "ALWAYS_OFF"},
		{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": " 0.25 "},
		{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"},
	} {
		if err := validate(mapEnv(m)); err != nil {
			t.Errorf("%v: %v", m, err)
		}
	}
}

// TestValidateErrors: every value the SDK would log and replace by a
// default is an error naming the variable, and credentials stay hidden.
func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		varName string
		hidden  string // must not appear in the message
	}{
		{"protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/xml"}, "OTEL_EXPORTER_OTLP_PROTOCOL", ""},
		{"protocol case", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "GRPC"}, "OTEL_EXPORTER_OTLP_PROTOCOL", ""},
		{"traces protocol", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "udp"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", ""},
		{"scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://c:1"}, "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"no scheme", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4317"}, "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"no host", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://:4317"}, "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"credentials in URL", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://user:hunter2@c:4317"},
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "hunter2"},
		{"unparsable", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317/%zz"}, "OTEL_EXPORTER_OTLP_ENDPOINT", ""},
		{"insecure not a bool", map[string]string{"OTEL_EXPORTER_OTLP_INSECURE": "1"}, "OTEL_EXPORTER_OTLP_INSECURE", ""},
		{"header without =", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "api-key=s3cret,Authorization: Bearer s3cret"},
			"OTEL_EXPORTER_OTLP_HEADERS", "s3cret"},
		{"header bad name", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "bad name=s3cret"}, "OTEL_EXPORTER_OTLP_HEADERS", "s3cret"},
		{"header bad value", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_HEADERS": "k=s3cret%0Aevil"}, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "s3cret"},
		{"header bad escape", map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "k=s3cret%zz"}, "OTEL_EXPORTER_OTLP_HEADERS", "s3cret"},
		{"timeout text", map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "10s"}, "OTEL_EXPORTER_OTLP_TIMEOUT", ""},
		{"timeout zero", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "0"}, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", ""},
		{"compression", map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"}, "OTEL_EXPORTER_OTLP_COMPRESSION", ""},
		{"sampler", map[string]string{"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "OTEL_TRACES_SAMPLER", ""},
		{"sampler arg range", map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, "OTEL_TRACES_SAMPLER_ARG", ""},
		{"sampler arg NaN", map[string]string{"OTEL_TRACES_SAMPLER_ARG": "NaN"}, "OTEL_TRACES_SAMPLER_ARG", ""},
		{"sampler arg text", map[string]string{"OTEL_TRACES_SAMPLER_ARG": "half"}, "OTEL_TRACES_SAMPLER_ARG", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEnvError(t, validate(mapEnv(tt.env)), tt.varName, tt.hidden)
		})
	}
	// The switches themselves are checked by enabled.
	for name, m := range map[string]map[string]string{
		"OTEL_SDK_DISABLED":    {"OTEL_SDK_DISABLED": "yes"},
		"OTEL_TRACES_EXPORTER": {"OTEL_TRACES_EXPORTER": "zipkin"},
	} {
		_, err := enabled(mapEnv(m))
		checkEnvError(t, err, name, "")
	}
}

func checkEnvError(t *testing.T, err error, varName, hidden string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error for %s", varName)
	}
	if !errors.Is(err, ErrInvalidEnv) {
		t.Errorf("%v does not match ErrInvalidEnv", err)
	}
	var ee *EnvError
	if !errors.As(err, &ee) || ee.Name != varName || !strings.Contains(err.Error(), varName) {
		t.Fatalf("error %v does not name %s", err, varName)
	}
	if hidden != "" && strings.Contains(err.Error(), hidden) {
		t.Errorf("message %q leaks %q", err, hidden)
	}
}
