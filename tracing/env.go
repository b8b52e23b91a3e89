package tracing

import (
	"cmp"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// otlpPrefix is the namespace of the OTLP exporter variables.
const otlpPrefix = "OTEL_EXPORTER_OTLP_"

// getenv reads a variable, as os.Getenv does.
type getenv func(string) string

// get returns the value of name without surrounding spaces, as the SDK
// reads it.
func (e getenv) get(name string) string { return strings.TrimSpace(e(name)) }

// otlp returns OTEL_EXPORTER_OTLP_TRACES_<suffix>, or OTEL_EXPORTER_OTLP_<suffix>
// when that is unset: the signal-specific variable wins, as in the SDK.
func (e getenv) otlp(suffix string) string {
	return cmp.Or(e.get(otlpPrefix+"TRACES_"+suffix), e.get(otlpPrefix+suffix))
}

// enabled decides whether tracing is on (see the package documentation).
func enabled(e getenv) (bool, error) {
	if v := e.get("OTEL_SDK_DISABLED"); !isBool(v) {
		return false, &EnvError{Name: "OTEL_SDK_DISABLED", Value: v, Reason: "want true or false"}
	} else if strings.EqualFold(v, "true") {
		return false, nil
	}
	switch v := strings.ToLower(e.get("OTEL_TRACES_EXPORTER")); v {
	case "otlp":
		return true, nil
	case "none":
		return false, nil
	case "":
		return e.get(otlpPrefix+"ENDPOINT") != "" || e.get(otlpPrefix+"TRACES_ENDPOINT") != "", nil
	default:
		return false, &EnvError{Name: "OTEL_TRACES_EXPORTER", Value: v, Reason: "want otlp or none"}
	}
}

// rule is a check of a variable whose bad values the SDK would only log
// and replace with a default.
type rule struct {
	name   string // a full name, or an OTLP suffix when otlp is set
	otlp   bool   // check both OTEL_EXPORTER_OTLP_[TRACES_]<name>
	ok     func(string) bool
	reason string // what is accepted
	secret bool   // never show the value (it may hold a credential)
}

var rules = []rule{
	{name: "ENDPOINT", otlp: true, ok: validEndpoint, secret: true,
		reason: "want an http:// or https:// URL with a host and no user:password@, e.g. http://collector:4317"},
	{name: "PROTOCOL", otlp: true, ok: oneOf("grpc", "http/protobuf", "http/json"), reason: "want grpc, http/protobuf or http/json"},
	{name: "INSECURE", otlp: true, ok: isBool, reason: "want true or false"},
	{name: "HEADERS", otlp: true, ok: validHeaders, secret: true,
		reason: "want name=value,... with valid header names and values, percent-encoded"},
	{name: "TIMEOUT", otlp: true, ok: positiveInt, reason: "want a positive number of milliseconds, e.g. 10000"},
	{name: "COMPRESSION", otlp: true, ok: oneOf("gzip", "none"), reason: "want gzip or none"},
	{name: "OTEL_TRACES_SAMPLER", ok: func(v string) bool {
		return oneOf("always_on", "always_off", "traceidratio", "parentbased_always_on",
			"parentbased_always_off", "parentbased_traceidratio")(strings.ToLower(v))
	}, reason: "want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio"},
	{name: "OTEL_TRACES_SAMPLER_ARG", ok: func(v string) bool {
		r, err := strconv.ParseFloat(v, 64)
		return err == nil && r >= 0 && r <= 1
	}, reason: "want a ratio from 0 to 1, e.g. 0.01"},
}

// validate checks every set variable of rules, the TRACES_ form of an OTLP
// variable first.
func validate(e getenv) error {
	for _, r := range rules {
		names := []string{r.name}
		if r.otlp {
			names = []string{otlpPrefix + "TRACES_" + r.name, otlpPrefix + r.name}
		}
		for _, name := range names {
			if v := e.get(name); v != "" && !r.ok(v) {
				if r.secret {
					v = ""
				}
				return &EnvError{Name: name, Value: v, Reason: r.reason}
			}
		}
	}
	return nil
}

// oneOf accepts exactly the given values (the SDK compares them so).
func oneOf(values ...string) func(string) bool {
	return func(v string) bool {
		for _, w := range values {
			if v == w {
				return true
			}
		}
		return false
	}
}

// isBool accepts "", true and false in any case.
func isBool(v string) bool {
	return v == "" || strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
}

func positiveInt(v string) bool {
	n, err := strconv.ParseInt(v, 10, 32)
	return err == nil && n > 0
}

// validEndpoint accepts what the exporters use as given: the SDK silently
// ignores a value url.Parse rejects ("127.0.0.1:4317", with no scheme) and
// drops user information.
func validEndpoint(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.User == nil
}

// validHeaders accepts the list the SDK parses without dropping an entry
// (empty entries, such as a trailing comma, aside).
func validHeaders(v string) bool {
	for _, entry := range strings.Split(v, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, val, ok := strings.Cut(entry, "=")
		val, err := url.PathUnescape(val)
		if !ok || err != nil || !httpguts.ValidHeaderFieldName(strings.TrimSpace(k)) || !httpguts.ValidHeaderFieldValue(val) {
			return false
		}
	}
	return true
}
