package tracing

import (
	"errors"
	"fmt"
)

// ErrInvalidEnv is the error every configuration problem found by [Setup]
// wraps; the [*EnvError] says which variable and why.
var ErrInvalidEnv = errors.New("tracing: invalid environment")

// EnvError reports an environment variable Setup cannot use.
type EnvError struct {
	// Name is the variable, e.g. "OTEL_EXPORTER_OTLP_PROTOCOL".
	Name string
	// Value is the offending value, or "" when it must not be shown
	// (headers may carry credentials).
	Value string
	// Reason says what is wrong and what is accepted.
	Reason string
}

func (e *EnvError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("tracing: %s: %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("tracing: %s=%q: %s", e.Name, e.Value, e.Reason)
}

// Unwrap makes every EnvError match [ErrInvalidEnv].
func (e *EnvError) Unwrap() error { return ErrInvalidEnv }
