package tracing

import (
	"fmt"
	"net/url"
	"strings"
)

// otlpPrefix is the namespace of the OTLP exporter variables.
const otlpPrefix = "OTEL_EXPORTER_OTLP_"

// env reads variables through an injected getenv, trimming spaces.
type env func(string) string

// get returns the trimmed value of name.
func (e env) get(name string) string { return strings.TrimSpace(e(name)) }

// otlp returns the first set one of OTEL_EXPORTER_OTLP_TRACES_<suffix> and
// OTEL_EXPORTER_OTLP_<suffix>, with the name it came from; the signal
// specific variable wins. Both are empty when neither is set.
func (e env) otlp(suffix string) (name, value string) {
	for _, name := range []string{otlpPrefix + "TRACES_" + suffix, otlpPrefix + suffix} {
		if v := e.get(name); v != "" {
			return name, v
		}
	}
	return "", ""
}

// boolean reads a "true"/"false" variable (case-insensitive); unset is false.
func (e env) boolean(name string) (bool, error) {
	switch v := e.get(name); strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, &EnvError{Name: name, Value: v, Reason: "want true or false"}
	}
}

// keyValue is one entry of a key=value list.
type keyValue struct{ key, value string }

// parseKeyValues parses the W3C-baggage-like lists OTEL_RESOURCE_ATTRIBUTES
// and OTEL_EXPORTER_OTLP_HEADERS use: comma-separated key=value entries,
// spaces around keys and values ignored, values percent-decoded. Empty
// entries (a trailing comma) are skipped. Errors name the entry by position
// only: values may be credentials.
func parseKeyValues(s string) ([]keyValue, error) {
	var out []keyValue
	for i, entry := range strings.Split(s, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		k, v, ok := strings.Cut(entry, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("entry %d is not key=value", i+1)
		}
		decoded, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("entry %d (%s): bad percent-encoding", i+1, k)
		}
		out = append(out, keyValue{key: k, value: decoded})
	}
	return out, nil
}
