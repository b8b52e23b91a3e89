package proxy

import "fmt"

// DrainError is Shutdown's report of a drain cut short: Open connections
// were still open when its context ended, and were closed.
type DrainError struct {
	Open int   // connections open when the drain timed out
	Err  error // the context's error
}

func (e *DrainError) Error() string {
	return fmt.Sprintf("proxy: drain cut short with %d connections open: %v", e.Open, e.Err)
}

// Unwrap returns the context's error.
func (e *DrainError) Unwrap() error { return e.Err }
