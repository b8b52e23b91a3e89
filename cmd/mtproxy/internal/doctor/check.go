package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/internal/enum"
)

// Status is how a check ended.
type Status int

// The statuses, in increasing severity.
const (
	Skip Status = iota // not applicable to this configuration, or nothing to check
	OK
	Warn // works, but something is degraded or worth a look
	Fail // the proxy (or some of its clients) will not work
	numStatuses
)

var statusNames = [...]string{Skip: "skip", OK: "ok", Warn: "warn", Fail: "fail"}

// One name per Status: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(statusNames)-int(numStatuses)]

// String returns the status as the JSON report spells it.
func (s Status) String() string { return enum.Name(statusNames[:], s) }

// Result is what one check found: a one-line detail (latency, offset,
// address, the error in words) and optional further lines.
type Result struct {
	Status Status
	Detail string
	Notes  []string
}

// Check is one diagnosis. Run must honour ctx: it is cancelled when the
// whole run's time is up.
type Check struct {
	Name string
	Run  func(ctx context.Context) Result
}

// Outcome is a finished check.
type Outcome struct {
	Name string
	Result
	Took time.Duration
}

// unfinishedGrace is how long a check may overrun the run's deadline
// before it is reported as unfinished and abandoned.
const unfinishedGrace = 250 * time.Millisecond

// RunChecks runs every check concurrently and returns their outcomes in
// the order given, each with its own duration. A check still running
// unfinishedGrace after ctx ends is reported as failed and left behind (its
// goroutine ends when its own timeouts fire; the process is about to exit
// anyway).
func RunChecks(ctx context.Context, checks []Check) []Outcome {
	out := make([]Outcome, len(checks))
	done := make([]chan Outcome, len(checks))
	start := time.Now()
	for i, c := range checks {
		done[i] = make(chan Outcome, 1)
		go func() {
			t := time.Now()
			r := c.Run(ctx)
			done[i] <- Outcome{Name: c.Name, Result: r, Took: time.Since(t)}
		}()
	}
	var late <-chan time.Time
	for i, c := range checks {
		select {
		case out[i] = <-done[i]:
			continue
		case <-ctx.Done():
		}
		if late == nil {
			late = time.After(unfinishedGrace)
		}
		select {
		case out[i] = <-done[i]:
		case <-late:
			out[i] = Outcome{
				Name:   c.Name,
				Result: Result{Status: Fail, Detail: "did not finish in time: " + ctx.Err().Error()},
				Took:   time.Since(start),
			}
		}
	}
	return out
}

// Helpers building results.

func okf(format string, args ...any) Result {
	return Result{Status: OK, Detail: fmt.Sprintf(format, args...)}
}
func warnf(format string, args ...any) Result {
	return Result{Status: Warn, Detail: fmt.Sprintf(format, args...)}
}
func failf(format string, args ...any) Result {
	return Result{Status: Fail, Detail: fmt.Sprintf(format, args...)}
}
func skipf(format string, args ...any) Result {
	return Result{Status: Skip, Detail: fmt.Sprintf(format, args...)}
}

// note appends further lines.
func (r Result) note(lines ...string) Result {
	r.Notes = append(r.Notes, lines...)
	return r
}

// atLeast raises the status to s.
func (r Result) atLeast(s Status) Result {
	r.Status = max(r.Status, s)
	return r
}

// notNeeded turns a failure into a warning for something the current
// mode does not use, saying so.
func (r Result) notNeeded(why string) Result {
	if r.Status == Fail {
		r.Status = Warn
		r.Notes = append(r.Notes, why)
	}
	return r
}

// errLines splits an error (errors.Join gives several lines) into lines.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// oneLine is an error on one line.
func oneLine(err error) string { return strings.Join(errLines(err), "; ") }
