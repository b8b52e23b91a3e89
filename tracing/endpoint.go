package tracing

import (
	"net/url"
	"path"
	"strconv"
	"strings"
)

// The specification's default endpoints.
const (
	defaultGRPCEndpoint = "http://localhost:4317"
	defaultHTTPEndpoint = "http://localhost:4318"
	tracesPath          = "/v1/traces"
)

// readEndpoint returns the absolute URL the exporter sends to: its scheme
// says plaintext (http) or TLS (https), its path is the HTTP resource (gRPC
// ignores it).
//
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is (an empty path becomes
// "/"); OTEL_EXPORTER_OTLP_ENDPOINT is a base URL to which HTTP protocols
// append /v1/traces. An endpoint without a scheme ("collector:4317") is
// accepted as gRPC exporters traditionally do, with TLS unless
// OTEL_EXPORTER_OTLP_[TRACES_]INSECURE=true.
func readEndpoint(e env, p Protocol) (string, error) {
	name, raw := otlpPrefix+"TRACES_ENDPOINT", e.get(otlpPrefix+"TRACES_ENDPOINT")
	signal := raw != ""
	if !signal {
		name, raw = otlpPrefix+"ENDPOINT", e.get(otlpPrefix+"ENDPOINT")
	}
	if raw == "" {
		raw = defaultGRPCEndpoint
		if p != ProtocolGRPC {
			raw = defaultHTTPEndpoint
		}
	}

	insecure, err := readInsecure(e)
	if err != nil {
		return "", err
	}
	u, err := parseEndpoint(raw, insecure)
	if err != nil {
		return "", &EnvError{Name: name, Value: redact(raw), Reason: err.Error()}
	}
	switch {
	case p == ProtocolGRPC:
		u.Path, u.RawPath = "", ""
	case signal:
		if u.Path == "" {
			u.Path, u.RawPath = "/", ""
		}
	default:
		u.Path, u.RawPath = path.Join("/", u.Path, tracesPath), ""
	}
	return u.String(), nil
}

// endpointError is a reason readEndpoint rejects a value.
type endpointError string

func (e endpointError) Error() string { return string(e) }

// readInsecure reads OTEL_EXPORTER_OTLP_[TRACES_]INSECURE.
func readInsecure(e env) (bool, error) {
	name, v := e.otlp("INSECURE")
	if v == "" {
		return false, nil
	}
	return e.boolean(name)
}

// parseEndpoint parses an endpoint; one without a scheme gets http:// when
// insecure, https:// otherwise.
func parseEndpoint(raw string, insecure bool) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		scheme := "https://"
		if insecure {
			scheme = "http://"
		}
		raw = scheme + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, endpointError("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, endpointError("the scheme must be http or https")
	case u.Hostname() == "":
		return nil, endpointError("no host")
	case !validPort(u.Port()):
		return nil, endpointError("the port must be a number from 1 to 65535")
	case u.User != nil:
		return nil, endpointError("credentials in the URL are not sent; use OTEL_EXPORTER_OTLP_HEADERS")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, endpointError("a query or fragment is not allowed")
	}
	return u, nil
}

// redact hides the user information of a URL; a value that does not parse
// is left out of the message altogether, as it might be anything.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}

// validPort accepts an absent port or one in 1..65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
