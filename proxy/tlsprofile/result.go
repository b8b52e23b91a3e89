package tlsprofile

import (
	"errors"
	"fmt"
)

// Result is how a probe ended: a closed set, usable as a metric label.
type Result uint8

// Probe results.
const (
	ResultOK           Result = iota // the origin's flight was recorded
	ResultDialFailed                 // no connection to the origin
	ResultTimeout                    // connected, but no complete ServerHello in time
	ResultNotTLS13                   // the origin answered without TLS, or with TLS 1.2
	ResultRetryRequest               // the origin asked for another key share
	ResultBadAnswer                  // an alert, a close, or a flight FakeTLS cannot imitate
	numResults
)

// NumResults is the size of the Result set.
const NumResults = int(numResults)

var resultNames = [numResults]string{"ok", "dial_failed", "timeout", "not_tls13", "retry_request", "bad_answer"}

func (r Result) String() string {
	if r < numResults {
		return resultNames[r]
	}
	return "unknown"
}

// ProbeError is a failed probe: its Result and cause.
type ProbeError struct {
	Result Result
	Err    error
}

func (e *ProbeError) Error() string { return fmt.Sprintf("tlsprofile: %s: %v", e.Result, e.Err) }
func (e *ProbeError) Unwrap() error { return e.Err }

func fail(r Result, format string, args ...any) error {
	return &ProbeError{Result: r, Err: fmt.Errorf(format, args...)}
}

// ResultOf classifies an error returned by [Probe]: ResultOK for nil,
// ResultBadAnswer for an error that is no ProbeError.
func ResultOf(err error) Result {
	if err == nil {
		return ResultOK
	}
	var pe *ProbeError
	if errors.As(err, &pe) {
		return pe.Result
	}
	return ResultBadAnswer
}
