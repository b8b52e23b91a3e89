package tlsprofile

import (
	"errors"
	"fmt"
	"github.com/mtproxy/mtproxy/internal/enum"
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

var resultNames = [...]string{
	ResultOK: "ok", ResultDialFailed: "dial_failed", ResultTimeout: "timeout",
	ResultNotTLS13: "not_tls13", ResultRetryRequest: "retry_request", ResultBadAnswer: "bad_answer",
}

// One name per Result: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(resultNames)-int(numResults)]

// String returns the Result's name.
func (r Result) String() string { return enum.Name(resultNames[:], r) }

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
