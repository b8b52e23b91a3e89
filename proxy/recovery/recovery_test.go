package recovery

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// jsonLogger logs JSON lines into b.
func jsonLogger(b *bytes.Buffer) *zap.Logger {
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(b), zap.ErrorLevel))
}

type counter struct {
	mu sync.Mutex
	n  [NumWhere]int
}

func (c *counter) Panicked(w Where) { c.mu.Lock(); c.n[w]++; c.mu.Unlock() }

func (c *counter) get(w Where) int { c.mu.Lock(); defer c.mu.Unlock(); return c.n[w] }

func TestGuard(t *testing.T) {
	var logs bytes.Buffer
	obs := &counter{}
	cleaned := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer Guard(Conn, jsonLogger(&logs), obs, func() { close(cleaned) })
		panic("boom")
	}()
	<-done
	<-cleaned
	if obs.get(Conn) != 1 {
		t.Fatalf("counted %v", obs.n)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line["panic"] != "boom" || line["where"] != "conn" ||
		!strings.Contains(line["stack"].(string), "recovery.TestGuard") {
		t.Fatalf("log %s: %v", logs.String(), err)
	}
	// No panic: nothing.
	n := logs.Len()
	func() { defer Guard(Conn, jsonLogger(&logs), obs, func() { t.Error("cleanup without a panic") }) }()
	if obs.get(Conn) != 1 || logs.Len() != n {
		t.Fatal("reported without a panic")
	}
}

// A loop that panics runs again; one that returns ends.
func TestLoopRestarts(t *testing.T) {
	obs := &counter{}
	runs := 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	Loop(ctx, Prober, zap.NewNop(), obs, func(context.Context) {
		runs++
		if runs < 3 {
			panic("again")
		}
	})
	if runs != 3 || obs.get(Prober) != 2 {
		t.Fatalf("runs %d, panics %d", runs, obs.get(Prober))
	}
	// A cancelled context stops the restarts.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	runs = 0
	Loop(ctx, Clock, nil, obs, func(context.Context) { runs++; panic("once") })
	if runs != 1 || obs.get(Clock) != 1 {
		t.Fatalf("after cancel: runs %d, panics %d", runs, obs.get(Clock))
	}
}

func TestWhereNames(t *testing.T) {
	for w := range NumWhere {
		if w.String() == "unknown" || w.String() == "" {
			t.Errorf("place %d has no name", w)
		}
	}
	if NumWhere.String() != "unknown" {
		t.Error("out of range")
	}
	if _, ok := ObserverOf(42).(nop); !ok {
		t.Error("ObserverOf of a non-observer")
	}
	c := &counter{}
	if ObserverOf(c) != Observer(c) {
		t.Error("ObserverOf of an observer")
	}
}
