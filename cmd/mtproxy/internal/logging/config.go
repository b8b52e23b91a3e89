package logging

import (
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap/zapcore"
)

// Config selects the logger's format and level.
type Config struct {
	// Format is "json", "console", or "" (or "auto") for console on a
	// terminal and JSON otherwise. From LOG_FORMAT.
	Format string
	// Level is debug, info, warn (or warning) or error; "" means info.
	// From LOG_LEVEL.
	Level string
	// Debug, from DEBUG=true, selects debug level whatever Level says: it
	// is the quick "tell me everything" switch. Level is still validated.
	Debug bool
}

// Formats New accepts.
const (
	FormatJSON    = "json"
	FormatConsole = "console"
	FormatAuto    = "auto"
)

// ErrInvalidConfig is the error every [*ConfigError] matches.
var ErrInvalidConfig = errors.New("logging: invalid configuration")

// ConfigError reports a Config field that New cannot use, named after the
// environment variable it comes from.
type ConfigError struct {
	Variable string // LOG_LEVEL or LOG_FORMAT
	Value    string
	Want     string // the accepted values, in words
	Example  string // a valid setting
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("logging: %s=%q is not valid: want %s (example: %s)", e.Variable, e.Value, e.Want, e.Example)
}

// Unwrap makes every ConfigError match [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// level resolves the configured level.
func (c Config) level() (zapcore.Level, error) {
	var lvl zapcore.Level
	switch v := strings.ToLower(strings.TrimSpace(c.Level)); v {
	case "", "info":
		lvl = zapcore.InfoLevel
	case "debug":
		lvl = zapcore.DebugLevel
	case "warn", "warning":
		lvl = zapcore.WarnLevel
	case "error":
		lvl = zapcore.ErrorLevel
	default:
		return 0, &ConfigError{Variable: "LOG_LEVEL", Value: c.Level,
			Want: "debug, info, warn or error", Example: "LOG_LEVEL=info"}
	}
	if c.Debug {
		lvl = zapcore.DebugLevel
	}
	return lvl, nil
}

// json resolves the configured format: true for JSON, false for console.
func (c Config) json(isTerminal bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(c.Format)) {
	case "", FormatAuto:
		return !isTerminal, nil
	case FormatJSON:
		return true, nil
	case FormatConsole:
		return false, nil
	default:
		return false, &ConfigError{Variable: "LOG_FORMAT", Value: c.Format,
			Want: "json, console or auto", Example: "LOG_FORMAT=json"}
	}
}
