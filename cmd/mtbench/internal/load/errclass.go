package load

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/mtproxy/mtproxy/testkit/client"
)

// errorKind names a failure without the addresses and ports that would make
// every occurrence distinct.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrVerify):
		return "data verification failed"
	case errors.Is(err, client.ErrServerFlight):
		return "FakeTLS server flight rejected (wrong secret or domain?)"
	case errors.Is(err, client.ErrNonce):
		return "resPQ nonce mismatch"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed by the proxy"
	case errors.Is(err, net.ErrClosed):
		return "connection closed (run deadline)"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files (raise ulimit -n)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local port available"
	}
	return err.Error()
}
