package tgconfig

import (
	"errors"
	"fmt"
)

// Parse errors; a *SyntaxError wraps one of them.
var (
	// ErrSyntax: an unexpected character or token.
	ErrSyntax = errors.New("tgconfig: syntax error")
	// ErrUnknownStatement: a statement keyword the grammar does not know.
	ErrUnknownStatement = errors.New("tgconfig: unknown statement")
	// ErrOutOfRange: a DC id, port, timeout or connection count out of range.
	ErrOutOfRange = errors.New("tgconfig: value out of range")
	// ErrIntermixed: the addresses of a DC are not contiguous.
	ErrIntermixed = errors.New("tgconfig: addresses of a DC are not contiguous")
	// ErrHostname: a host that is not an IP literal.
	ErrHostname = errors.New("tgconfig: host names are not supported, only IP literals")
	// ErrTooLarge: input above MaxSize (not a *SyntaxError).
	ErrTooLarge = errors.New("tgconfig: config too large")
)

// Validation errors, returned (wrapped) by Config.Validate.
var (
	// ErrEmpty: no proxy_for statement at all.
	ErrEmpty = errors.New("tgconfig: no middle proxies")
	// ErrNoDefault: the default DC has no addresses.
	ErrNoDefault = errors.New("tgconfig: default DC has no middle proxies")
	// ErrShrunk: the new config lists far fewer DCs than the running one.
	ErrShrunk = errors.New("tgconfig: far fewer DCs than the running config")
)

// SyntaxError locates a parse error. Line and Col are 1-based; Col counts
// bytes.
type SyntaxError struct {
	Line, Col int
	Msg       string
	Err       error // one of the parse errors above
}

// Error formats the error as "tgconfig: line L:C: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("tgconfig: line %d:%d: %s", e.Line, e.Col, e.Msg)
}

// Unwrap returns the sentinel the error belongs to.
func (e *SyntaxError) Unwrap() error { return e.Err }
