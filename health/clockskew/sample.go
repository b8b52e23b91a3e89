package clockskew

import (
	"errors"
	"fmt"
	"time"
)

// Source names where a sample came from. It is a closed set, usable as a
// metric label.
type Source string

// The sources of a [Sample].
const (
	SourceNTP      Source = "ntp"       // an SNTP query
	SourceHTTPDate Source = "http_date" // the Date header of an HTTP response
)

// Sources lists every [Source], in a stable order.
func Sources() []Source { return []Source{SourceNTP, SourceHTTPDate} }

// Sample is one estimate of this host's clock offset.
type Sample struct {
	// Source is where the estimate came from.
	Source Source
	// Offset is our clock minus UTC: positive means this host is ahead.
	Offset time.Duration
	// Uncertainty bounds the estimate's error: the true offset lies within
	// Offset ± Uncertainty, assuming the reference clock is right.
	Uncertainty time.Duration
	// Server is the reference that answered (host or host:port, or the URL
	// of an HTTP response). Empty when unknown.
	Server string
	// At is when the estimate was taken, by this host's clock.
	At time.Time
}

// Observer receives measurements. Implementations must be safe for
// concurrent use.
type Observer interface {
	// SkewMeasured reports a successful estimate: for NTP, the combined
	// (median) one of a round; for the HTTP Date, each accepted header.
	SkewMeasured(s Sample)
	// SkewFailed reports one failed attempt: one NTP server that gave no
	// valid answer, a round where none did (server empty, err wrapping
	// [ErrNoAnswer]), or an unusable Date header. err is a [*QueryError]
	// for per-server failures.
	SkewFailed(source Source, server string, err error)
}

// Sentinel errors. A failed query of one server is a [*QueryError], whose
// Failure field says why; a round where every server failed returns an
// error wrapping [ErrNoAnswer] and joining the servers' errors.
var (
	// ErrNoAnswer: no server of a round gave a valid answer.
	ErrNoAnswer = errors.New("clockskew: no time server gave a valid answer")
	// ErrBadServer: a server address is malformed.
	ErrBadServer = errors.New("clockskew: bad time server address")
	// ErrBadDate: an HTTP Date header could not be parsed.
	ErrBadDate = errors.New("clockskew: bad HTTP Date header")
	// ErrBadTiming: the response was received before the request was sent.
	ErrBadTiming = errors.New("clockskew: received before sent")
)

// Failure classifies why one query failed. It is a closed set, usable as a
// metric label.
type Failure string

// The failure kinds of a [QueryError].
const (
	FailResolve   Failure = "resolve"    // the server's name did not resolve
	FailNetwork   Failure = "network"    // no route, refused, or another socket error
	FailTimeout   Failure = "timeout"    // no answer within the timeout
	FailBadAnswer Failure = "bad_answer" // an answer that is malformed or unfit to sync to
	FailCanceled  Failure = "canceled"   // the caller's context ended first
	FailConfig    Failure = "config"     // the server address is malformed (wraps ErrBadServer)
)

// QueryError is one failed query of one server.
type QueryError struct {
	Source  Source
	Server  string
	Failure Failure
	Took    time.Duration
	Err     error
}

// Error describes the failure; it names the server, never a secret.
func (e *QueryError) Error() string {
	return fmt.Sprintf("clockskew: %s query to %s failed (%s after %s): %v",
		e.Source, e.Server, e.Failure, e.Took.Round(time.Millisecond), e.Err)
}

// Unwrap returns the underlying error.
func (e *QueryError) Unwrap() error { return e.Err }
