package tracing

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Protocol is an OTLP transport and encoding, spelled as in
// OTEL_EXPORTER_OTLP_PROTOCOL.
type Protocol string

// The OTLP protocols Setup can export with.
const (
	ProtocolGRPC         Protocol = "grpc"
	ProtocolHTTPProtobuf Protocol = "http/protobuf"
	ProtocolHTTPJSON     Protocol = "http/json"
)

// defaultTimeout is the export timeout when none is configured (the OTLP
// specification's 10 s).
const defaultTimeout = 10 * time.Second

// config is everything Setup takes from the environment.
type config struct {
	enabled     bool
	protocol    Protocol
	endpoint    string            // absolute URL for the exporter's WithEndpointURL
	headers     map[string]string // never nil when enabled
	timeout     time.Duration
	gzip        bool
	sampler     samplerConfig
	serviceName string     // OTEL_SERVICE_NAME, or ""
	resource    []keyValue // OTEL_RESOURCE_ATTRIBUTES
}

// readConfig reads the configuration. When tracing is off the rest of the
// environment is not examined, so a stale bad value cannot stop the proxy
// from starting with tracing disabled.
func readConfig(e env) (config, error) {
	on, err := enabled(e)
	if err != nil || !on {
		return config{}, err
	}
	cfg := config{enabled: true}
	if cfg.protocol, err = readProtocol(e); err != nil {
		return config{}, err
	}
	if cfg.endpoint, err = readEndpoint(e, cfg.protocol); err != nil {
		return config{}, err
	}
	if cfg.headers, err = readHeaders(e); err != nil {
		return config{}, err
	}
	if cfg.timeout, err = readTimeout(e); err != nil {
		return config{}, err
	}
	if cfg.gzip, err = readCompression(e); err != nil {
		return config{}, err
	}
	if cfg.sampler, err = readSampler(e); err != nil {
		return config{}, err
	}
	cfg.serviceName = e.get("OTEL_SERVICE_NAME")
	if attrs := e.get("OTEL_RESOURCE_ATTRIBUTES"); attrs != "" {
		if cfg.resource, err = parseKeyValues(attrs); err != nil {
			// Resource attributes are not secret: show the value.
			return config{}, &EnvError{Name: "OTEL_RESOURCE_ATTRIBUTES", Value: attrs, Reason: err.Error()}
		}
	}
	return cfg, nil
}

// enabled decides whether tracing is on.
func enabled(e env) (bool, error) {
	disabled, err := e.boolean("OTEL_SDK_DISABLED")
	if err != nil || disabled {
		return false, err
	}
	otlp, none := false, false
	if v := e.get("OTEL_TRACES_EXPORTER"); v != "" {
		for _, item := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(item)) {
			case "otlp":
				otlp = true
			case "none":
				none = true
			default:
				return false, &EnvError{Name: "OTEL_TRACES_EXPORTER", Value: v, Reason: "only otlp and none are supported"}
			}
		}
		if otlp && none {
			return false, &EnvError{Name: "OTEL_TRACES_EXPORTER", Value: v, Reason: "otlp and none contradict each other"}
		}
	}
	if none {
		return false, nil
	}
	return otlp || e.get(otlpPrefix+"ENDPOINT") != "" || e.get(otlpPrefix+"TRACES_ENDPOINT") != "", nil
}

func readProtocol(e env) (Protocol, error) {
	name, v := e.otlp("PROTOCOL")
	switch p := Protocol(strings.ToLower(v)); p {
	case "":
		return ProtocolGRPC, nil
	case ProtocolGRPC, ProtocolHTTPProtobuf, ProtocolHTTPJSON:
		return p, nil
	default:
		return "", &EnvError{Name: name, Value: v, Reason: "want grpc, http/protobuf or http/json"}
	}
}

func readHeaders(e env) (map[string]string, error) {
	headers := map[string]string{}
	name, v := e.otlp("HEADERS")
	if v == "" {
		return headers, nil
	}
	kvs, err := parseKeyValues(v)
	if err != nil {
		return nil, &EnvError{Name: name, Reason: err.Error()}
	}
	for _, kv := range kvs {
		if !httpguts.ValidHeaderFieldName(kv.key) {
			return nil, &EnvError{Name: name, Reason: strconv.Quote(kv.key) + " is not a valid header name"}
		}
		if !httpguts.ValidHeaderFieldValue(kv.value) {
			return nil, &EnvError{Name: name, Reason: "the value of " + kv.key + " is not a valid header value"}
		}
		// gRPC metadata keys are lower case; HTTP does not care.
		headers[strings.ToLower(kv.key)] = kv.value
	}
	return headers, nil
}

func readTimeout(e env) (time.Duration, error) {
	name, v := e.otlp("TIMEOUT")
	if v == "" {
		return defaultTimeout, nil
	}
	ms, err := strconv.ParseInt(v, 10, 32)
	if err != nil || ms <= 0 {
		return 0, &EnvError{Name: name, Value: v, Reason: "want a positive number of milliseconds, e.g. 10000"}
	}
	return time.Duration(ms) * time.Millisecond, nil
}

func readCompression(e env) (bool, error) {
	name, v := e.otlp("COMPRESSION")
	switch strings.ToLower(v) {
	case "", "none":
		return false, nil
	case "gzip":
		return true, nil
	default:
		return false, &EnvError{Name: name, Value: v, Reason: "want gzip or none"}
	}
}
