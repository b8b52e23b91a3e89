package doctor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
)

// ErrUsage is returned (wrapped, with the reason) for a doctor command
// line that cannot be run: a flag neither doctor nor the proxy knows, a
// bad --timeout. A configuration that does not load is no usage error:
// it is a failed check.
var ErrUsage = errors.New("doctor: bad command line")

// Report is a finished run.
type Report struct {
	// Outcomes are the checks in report order.
	Outcomes []Outcome
	// Took is the run's wall time.
	Took time.Duration
}

// Failed tells whether any check failed: the run's exit code is then 1.
func (r Report) Failed() bool {
	for _, o := range r.Outcomes {
		if o.Status == Fail {
			return true
		}
	}
	return false
}

// Count returns how many checks ended with status st.
func (r Report) Count(st Status) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Status == st {
			n++
		}
	}
	return n
}

// Diagnose loads the configuration from the environment and args (the
// proxy's flags, without doctor's own: see ParseArgs) exactly as the proxy
// does, runs every check within o.Deadline() and returns the report.
//
// A configuration that does not load gives a report of one failed
// "config" check. The error is non-nil only for a command line at fault
// (wrapping ErrUsage); ctx cancels the run.
func Diagnose(ctx context.Context, args []string, o Options) (Report, error) {
	start := time.Now()
	o = o.withDefaults()
	l, err := loadConfig(args)
	if err != nil {
		if commandLineAtFault(args, err) {
			return Report{}, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		r := failf("the configuration does not load, the proxy would exit: %s", oneLine(err))
		return Report{Outcomes: []Outcome{{Name: "config", Result: r}}, Took: time.Since(start)}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.Deadline())
	defer cancel()
	s := newSession(ctx, l, o)
	out := RunChecks(ctx, s.checks())
	return Report{Outcomes: out, Took: time.Since(start)}, nil
}

// commandLineAtFault tells whether a load error is the command line's: a
// usage error that goes away without it. (The same error from ARGS or the
// environment is the configuration's, reported as a failed check.)
func commandLineAtFault(args []string, err error) bool {
	if len(args) == 0 || !errors.Is(err, config.ErrUsage) {
		return false
	}
	_, bare := loadConfig(nil)
	return !errors.Is(bare, config.ErrUsage)
}
