package middle

import (
	"errors"
	"strings"
)

// Errors ending a client's Serve, and the pool's.
var (
	// ErrNoConnection: the client's DC had no ready connection to a middle
	// proxy (counted in dropped_queries); the client is closed.
	ErrNoConnection = errors.New("middle: no ready connection to a middle proxy of the DC")
	// ErrSlowClient: the client did not read its answers fast enough and
	// its queue overflowed (counted in dropped_responses).
	ErrSlowClient = errors.New("middle: client too slow, its answer queue overflowed")
	// ErrNotStarted: Serve or Refresh before a successful Start.
	ErrNotStarted = errors.New("middle: not started")
	// ErrClosed: the middle layer was closed.
	ErrClosed = errors.New("middle: closed")

	errUpstreamClosed = errors.New("middle: the RPC connection to the middle proxy closed")
	errClosedByMiddle = errors.New("middle: closed by the middle proxy (RPC_CLOSE_EXT)")
	errSilent         = errors.New("middle: nothing read from the middle proxy, RPC_PING unanswered")
	errPanicked       = errors.New("middle: recovered from a panic")
)

// ErrUnavailable is matched (errors.Is) by a *StartError.
var ErrUnavailable = errors.New("middle: Telegram's files are unavailable")

// StartError is the fatal error of [Middle.Start]: a file could be neither
// downloaded nor read from its cache. Its message is one line, fit for an
// operator.
type StartError struct {
	Files []FileError
}

// FileError says why one file is unavailable.
type FileError struct {
	File File
	// URL is where the download was attempted; Fetch why it failed
	// (including a downloaded file that did not parse or validate).
	URL   string
	Fetch error
	// Cache is the cache file ("" when none is configured); CacheErr why
	// it could not be used.
	Cache    string
	CacheErr error
}

func (e *FileError) Error() string {
	name := "proxy secret"
	if e.File == FileConfig {
		name = "proxy config"
	}
	var b strings.Builder
	b.WriteString(name + ": download from " + e.URL + " failed: " + oneLine(e.Fetch))
	if e.Cache == "" {
		b.WriteString("; no cache file configured")
	} else {
		b.WriteString("; cache " + e.Cache + " unusable: " + oneLine(e.CacheErr))
	}
	return b.String()
}

func (e *StartError) Error() string {
	parts := make([]string, len(e.Files))
	for i := range e.Files {
		parts[i] = e.Files[i].Error()
	}
	return "middle: cannot start middle-proxy mode: " + strings.Join(parts, " | ")
}

// Is matches ErrUnavailable.
func (e *StartError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the underlying errors.
func (e *StartError) Unwrap() []error {
	var errs []error
	for _, f := range e.Files {
		if f.Fetch != nil {
			errs = append(errs, f.Fetch)
		}
		if f.CacheErr != nil {
			errs = append(errs, f.CacheErr)
		}
	}
	return errs
}

func oneLine(err error) string {
	if err == nil {
		return "unknown error"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
