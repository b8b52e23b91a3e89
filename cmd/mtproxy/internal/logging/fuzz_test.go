package logging

import (
	"errors"
	"strings"
	"testing"
)

// FuzzConfig checks that any LOG_LEVEL / LOG_FORMAT either builds a logger
// or fails with a ConfigError naming the right variable, never panicking.
func FuzzConfig(f *testing.F) {
	f.Add("info", "json", false)
	f.Add("DEBUG", "console", true)
	f.Add("warning", "", false)
	f.Add("verbose", "xml", true)
	f.Fuzz(func(t *testing.T, level, format string, debug bool) {
		log, err := New(Config{Level: level, Format: format, Debug: debug}, &sink{}, false)
		if err == nil {
			log.Info("ok")
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) {
			t.Fatalf("error %v is not a ConfigError", err)
		}
		if ce.Variable != "LOG_LEVEL" && ce.Variable != "LOG_FORMAT" {
			t.Fatalf("variable %q", ce.Variable)
		}
		if !strings.Contains(err.Error(), ce.Example) {
			t.Fatalf("message %q has no example", err)
		}
	})
}
