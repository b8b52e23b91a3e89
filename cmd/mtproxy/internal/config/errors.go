package config

import (
	"errors"
	"strings"
)

// Sentinel errors wrapped by every *Error, for errors.Is.
var (
	// ErrInvalid: a value is malformed or out of range.
	ErrInvalid = errors.New("config: invalid value")
	// ErrConflict: two settings contradict each other.
	ErrConflict = errors.New("config: conflicting settings")
	// ErrUsage: the command line is malformed (unknown flag, missing
	// argument, extra positional argument, bad quoting in ARGS).
	ErrUsage = errors.New("config: bad command line")
	// ErrSecretFile: SECRET_FILE exists but does not hold valid secrets. It
	// is never replaced silently: the user must fix or remove it.
	ErrSecretFile = errors.New("config: corrupt secret file")
)

// Error is a configuration error. Its message is one line naming the
// variable (and the flag, when the value came from one), the problem, and an
// example of a good value. It never contains a secret.
type Error struct {
	Var     string // environment variable, "" for flag-only options
	Flag    string // the flag as written ("-H", "--port"), "" when from the environment
	Problem string // what is wrong, without the names
	Example string // a complete good example, e.g. "PORT=443"
	Err     error  // one of the sentinels above
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Flag != "" && e.Var != "":
		b.WriteString(e.Flag + " (" + e.Var + ")")
	case e.Flag != "":
		b.WriteString(e.Flag)
	default:
		b.WriteString(e.Var)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	if e.Example != "" {
		b.WriteString(" (example: " + e.Example + ")")
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Warning is a one-line message about a setting that was ignored or
// degraded; the proxy starts anyway. The caller prints it ("[!] ...").
type Warning string

// problem is what value parsers return: the problem alone. The loader adds
// the names, the example and the sentinel.
type problem struct {
	msg string
	err error // ErrInvalid unless set
}

func (p *problem) Error() string { return p.msg }

func invalid(msg string) error { return &problem{msg: msg, err: ErrInvalid} }

func newError(variable, problem, example string, sentinel error) *Error {
	return &Error{Var: variable, Problem: problem, Example: example, Err: sentinel}
}
