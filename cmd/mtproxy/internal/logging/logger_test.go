package logging

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// sink is a concurrency-safe in-memory WriteSyncer.
type sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *sink) Sync() error { return nil }

func (s *sink) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(s.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// records decodes every line as a JSON object.
func (s *sink) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range s.lines() {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// fakeClock is a zapcore.Clock the test moves by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time                         { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }
func (c *fakeClock) advance(d time.Duration)                { c.ns.Add(int64(d)) }

func TestJSONFormat(t *testing.T) {
	var s sink
	// 14:30:05.123 at UTC+3 is 11:30:05.123 UTC.
	clock := newFakeClock(time.Date(2024, 5, 6, 14, 30, 5, 123_000_000, time.FixedZone("MSK", 3*3600)))
	log, err := build(Config{Format: "json"}, &s, true, defaultPolicy(), zap.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	log.Named("proxy").Info("listening", zap.String("addr", "0.0.0.0:443"), zap.Duration("took", 1500*time.Millisecond))
	recs := s.records(t)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	want := map[string]any{"ts": "2024-05-06T11:30:05.123Z", "level": "info", "logger": "proxy",
		"msg": "listening", "addr": "0.0.0.0:443", "took": "1.5s"}
	for k, v := range want {
		if recs[0][k] != v {
			t.Errorf("%s = %v, want %v (record %v)", k, recs[0][k], v, recs[0])
		}
	}
	if _, ok := recs[0]["caller"]; ok {
		t.Errorf("caller at info level: %v", recs[0])
	}
	if len(recs[0]) != len(want) {
		t.Errorf("unexpected keys: %v", recs[0])
	}
}

func TestAutoFormat(t *testing.T) {
	var notTTY, tty sink
	l1, err := New(Config{}, &notTTY, false)
	if err != nil {
		t.Fatal(err)
	}
	l1.Warn("w")
	if recs := notTTY.records(t); len(recs) != 1 || recs[0]["level"] != "warn" {
		t.Fatalf("auto off a terminal is not JSON: %v", notTTY.lines())
	}

	l2, err := New(Config{Format: "AUTO"}, &tty, true)
	if err != nil {
		t.Fatal(err)
	}
	l2.Warn("w")
	line := tty.lines()[0]
	if strings.HasPrefix(line, "{") || !strings.Contains(line, "\x1b[33mWARN\x1b[0m\tw") {
		t.Fatalf("auto on a terminal is not coloured console: %q", line)
	}
}

func TestConsoleFormatWithoutTerminal(t *testing.T) {
	var s sink
	log, err := New(Config{Format: "console"}, &s, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Named("relay").Error("upstream closed", zap.Int("dc", 2))
	line := s.lines()[0]
	if strings.Contains(line, "\x1b[") {
		t.Fatalf("colours off a terminal: %q", line)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[-+Z]\S*\tERROR\trelay\tupstream closed\t\{"dc": 2\}$`).MatchString(line) {
		t.Fatalf("console line %q", line)
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		cfg  Config
		want []string // the levels that get through
	}{
		{Config{}, []string{"info", "warn", "error"}},
		{Config{Level: "debug"}, []string{"debug", "info", "warn", "error"}},
		{Config{Level: "INFO"}, []string{"info", "warn", "error"}},
		{Config{Level: " warn "}, []string{"warn", "error"}},
		{Config{Level: "Warning"}, []string{"warn", "error"}},
		{Config{Level: "error"}, []string{"error"}},
		{Config{Debug: true}, []string{"debug", "info", "warn", "error"}},
		{Config{Level: "error", Debug: true}, []string{"debug", "info", "warn", "error"}},
	}
	for _, tt := range tests {
		var s sink
		tt.cfg.Format = "json"
		log, err := New(tt.cfg, &s, false)
		if err != nil {
			t.Fatalf("%+v: %v", tt.cfg, err)
		}
		log.Debug("m")
		log.Info("m")
		log.Warn("m")
		log.Error("m")
		var got []string
		for _, r := range s.records(t) {
			got = append(got, r["level"].(string))
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%+v: levels %v, want %v", tt.cfg, got, tt.want)
		}
	}
}

func TestDebugAddsCallerAndStack(t *testing.T) {
	var s sink
	log, err := New(Config{Format: "json", Debug: true}, &s, false)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("d")
	log.Error("e")
	recs := s.records(t)
	caller, _ := recs[0]["caller"].(string)
	if !strings.HasPrefix(caller, "logging/logger_test.go:") {
		t.Errorf("caller = %q", caller)
	}
	if st, _ := recs[1]["stacktrace"].(string); !strings.Contains(st, "TestDebugAddsCallerAndStack") {
		t.Errorf("no stack trace on an error at debug level: %v", recs[1])
	}

	var q sink
	log, _ = New(Config{Format: "json"}, &q, false)
	log.Error("e")
	if r := q.records(t)[0]; r["stacktrace"] != nil || r["caller"] != nil {
		t.Errorf("caller or stack at info level: %v", r)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg              Config
		variable, sample string
	}{
		{Config{Level: "verbose"}, "LOG_LEVEL", "LOG_LEVEL=info"},
		{Config{Level: "fatal"}, "LOG_LEVEL", "LOG_LEVEL=info"},
		{Config{Level: "verbose", Debug: true}, "LOG_LEVEL", "LOG_LEVEL=info"},
		{Config{Format: "xml"}, "LOG_FORMAT", "LOG_FORMAT=json"},
		{Config{Format: "text", Level: "info"}, "LOG_FORMAT", "LOG_FORMAT=json"},
	}
	for _, tt := range tests {
		log, err := New(tt.cfg, &sink{}, false)
		if log != nil || err == nil {
			t.Fatalf("%+v accepted", tt.cfg)
		}
		var ce *ConfigError
		if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &ce) || ce.Variable != tt.variable {
			t.Errorf("%+v: error %v", tt.cfg, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.variable+"=") || !strings.Contains(msg, tt.sample) {
			t.Errorf("%+v: message %q lacks the variable or the example", tt.cfg, msg)
		}
	}
}

// TestStdoutUntouched checks that building and using a logger writes
// nothing to the process's stdout, where the start-up lines go.
func TestStdoutUntouched(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stdout
	os.Stdout = w
	var s sink
	log, err := New(Config{Debug: true}, &s, false)
	if err == nil {
		log.Info("to the sink")
		log.Error("to the sink too")
		log.Sync()
	}
	os.Stdout = orig
	w.Close()
	leaked, _ := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaked) != 0 {
		t.Fatalf("wrote to stdout: %q", leaked)
	}
	if len(s.lines()) != 2 {
		t.Fatalf("sink got %q", s.lines())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Fatal("a regular file is a terminal")
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) {
		t.Fatal("a pipe is a terminal")
	}
}

var _ zapcore.WriteSyncer = (*sink)(nil)
