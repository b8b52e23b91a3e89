package tracing

import (
	"strconv"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The sampler names of OTEL_TRACES_SAMPLER that Setup supports: those the Go
// SDK implements itself.
const (
	samplerAlwaysOn                = "always_on"
	samplerAlwaysOff               = "always_off"
	samplerTraceIDRatio            = "traceidratio"
	samplerParentBasedAlwaysOn     = "parentbased_always_on"
	samplerParentBasedAlwaysOff    = "parentbased_always_off"
	samplerParentBasedTraceIDRatio = "parentbased_traceidratio"

	// DefaultSampler is the sampler used when OTEL_TRACES_SAMPLER is unset:
	// the SDK's own default.
	DefaultSampler = samplerParentBasedAlwaysOn
)

// samplerConfig is a parsed OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
type samplerConfig struct {
	name  string
	ratio float64 // for the traceidratio samplers
}

// readSampler reads the sampler with the SDK's semantics (the argument only
// matters to the ratio samplers and defaults to 1), except that a bad value
// is an error instead of a logged fallback.
func readSampler(e env) (samplerConfig, error) {
	name := strings.ToLower(e.get("OTEL_TRACES_SAMPLER"))
	if name == "" {
		name = DefaultSampler
	}
	cfg := samplerConfig{name: name, ratio: 1}
	switch name {
	case samplerAlwaysOn, samplerAlwaysOff, samplerParentBasedAlwaysOn, samplerParentBasedAlwaysOff:
		return cfg, nil
	case samplerTraceIDRatio, samplerParentBasedTraceIDRatio:
	default:
		return samplerConfig{}, &EnvError{Name: "OTEL_TRACES_SAMPLER", Value: name,
			Reason: "want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio"}
	}
	if arg := e.get("OTEL_TRACES_SAMPLER_ARG"); arg != "" {
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(r >= 0 && r <= 1) {
			return samplerConfig{}, &EnvError{Name: "OTEL_TRACES_SAMPLER_ARG", Value: arg, Reason: "want a ratio from 0 to 1, e.g. 0.01"}
		}
		cfg.ratio = r
	}
	return cfg, nil
}

// sampler builds the SDK sampler.
func (c samplerConfig) sampler() sdktrace.Sampler {
	switch c.name {
	case samplerAlwaysOn:
		return sdktrace.AlwaysSample()
	case samplerAlwaysOff:
		return sdktrace.NeverSample()
	case samplerTraceIDRatio:
		return sdktrace.TraceIDRatioBased(c.ratio)
	case samplerParentBasedAlwaysOff:
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case samplerParentBasedTraceIDRatio:
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(c.ratio))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}
