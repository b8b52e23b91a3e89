// Package recovery contains panics: one in a client's connection closes
// that connection only, one in a background loop restarts that loop; both
// are logged with their stack and counted, instead of taking every
// connection down with the process. The engine (package proxy), the
// middle-proxy layer and the binary's background loops use it.
package recovery

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
)

// Where names the place a panic was recovered: a closed set, used as a
// metric label.
type Where uint8

// The places.
const (
	// Conn: a client connection's own goroutines (handshake, relay,
	// fronting, the middle layer's reader and writer of the client).
	Conn Where = iota
	// Middle: an RPC connection to a middle proxy or the layer's pool.
	Middle
	// Refresh: the refresh of Telegram's files.
	Refresh
	// Prober: the DC prober.
	Prober
	// Clock: the clock-skew monitor.
	Clock
	// Background: the binary's other background loops.
	Background
	// NumWhere is the number of places, for arrays indexed by one.
	NumWhere
)

var whereNames = [NumWhere]string{"conn", "middle", "refresh", "prober", "clock", "background"}

// String names the place, as in metric labels.
func (w Where) String() string {
	if w < NumWhere {
		return whereNames[w]
	}
	return "unknown"
}

// Observer is told about every recovered panic.
type Observer interface {
	Panicked(Where)
}

// ObserverOf returns x as an Observer when it is one (an engine's or a
// layer's observer may also count panics), else one that does nothing.
func ObserverOf(x any) Observer {
	if o, ok := x.(Observer); ok && o != nil {
		return o
	}
	return nop{}
}

type nop struct{}

func (nop) Panicked(Where) {}

// Guard, deferred at the top of a goroutine, recovers a panic in it: it
// logs the value and the stack at error level, tells obs, then runs
// cleanup (closing the connection, say). Without a panic it does nothing.
// It must be deferred directly: defer recovery.Guard(...).
func Guard(w Where, log *zap.Logger, obs Observer, cleanup func()) {
	v := recover()
	if v == nil {
		return
	}
	report(w, log, obs, v)
	if cleanup != nil {
		cleanup()
	}
}

func report(w Where, log *zap.Logger, obs Observer, v any) {
	if log != nil {
		log.Error("recovered from a panic", zap.Stringer("where", w),
			zap.String("panic", fmt.Sprint(v)), zap.ByteString("stack", debug.Stack()))
	}
	if obs != nil {
		obs.Panicked(w)
	}
}

// Loop runs fn until ctx ends or fn returns. When fn panics, the panic is
// logged and counted and fn runs again after a pause that starts at one
// second and doubles up to a minute (a loop that keeps panicking does not
// spin).
func Loop(ctx context.Context, w Where, log *zap.Logger, obs Observer, fn func(context.Context)) {
	pause := time.Second
	for {
		if !runOnce(ctx, w, log, obs, fn) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
}

// runOnce runs fn and reports whether it panicked.
func runOnce(ctx context.Context, w Where, log *zap.Logger, obs Observer, fn func(context.Context)) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			report(w, log, obs, v)
			panicked = true
		}
	}()
	fn(ctx)
	return false
}
