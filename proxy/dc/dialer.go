package dc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/mtproxy/mtproxy/internal/defaults"
	"github.com/mtproxy/mtproxy/internal/enum"
)

// Result is how one exchange with a Telegram address ended: a closed set,
// used as a metric label. A dial ends in OK or one of the connect
// failures; a probe or a client's connection, which wait for Telegram's
// answer, may also end in Reset, NoAnswer or NotMTProto.
type Result uint8

// Results.
const (
	OK          Result = iota // connected (and, where an answer is awaited, answered)
	Refused                   // connection refused
	Timeout                   // no TCP connection within the timeout
	Reset                     // connected, then closed or reset before any answer
	NoAnswer                  // connected, then nothing came back in time
	NotMTProto                // bytes came back that are not Telegram's answer
	Unreachable               // no route, network down, address family unavailable
	Failed                    // anything else
	numResults
)

// NumResults is the size of the Result set.
const NumResults = int(numResults)

var resultNames = [...]string{
	OK:          "ok",
	Refused:     "refused",
	Timeout:     "timeout",
	Reset:       "reset",
	NoAnswer:    "no_answer",
	NotMTProto:  "not_mtproto",
	Unreachable: "unreachable",
	Failed:      "error",
}

// One name per Result: a missing or extra name does not compile.
var _ = [1]struct{}{}[len(resultNames)-int(numResults)]

// String returns the Result's name.
func (r Result) String() string { return enum.Name(resultNames[:], r) }

// Connected reports whether the TCP connection was established: the
// result is OK or says what the peer did afterwards.
func (r Result) Connected() bool {
	return r == OK || r == Reset || r == NoAnswer || r == NotMTProto
}

// Classify maps a dial error to its Result.
func Classify(err error) Result {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return Timeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return Reset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETDOWN), errors.Is(err, syscall.EAFNOSUPPORT),
		errors.Is(err, syscall.EADDRNOTAVAIL):
		return Unreachable
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Timeout
	}
	return Failed
}

// Attempt describes one dial attempt to one address.
type Attempt struct {
	Addr     netip.AddrPort
	Result   Result
	Err      error
	Duration time.Duration
}

// Defaults of [Dialer].
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultKeepAlive   = 15 * time.Second
)

// Dialer dials a DC's addresses one after the other until one answers.
type Dialer struct {
	// Timeout bounds each attempt. Default: DefaultDialTimeout (10s).
	Timeout time.Duration
	// KeepAlive is the TCP keepalive period. Default: DefaultKeepAlive
	// (15s); negative disables.
	KeepAlive time.Duration
	// DialContext dials one address. Default: a net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ErrNoAddress is returned when there is nothing to dial (for example only
// IPv6 addresses under only-ipv4).
var ErrNoAddress = errors.New("dc: no address to dial")

// Dial tries addrs in order and returns the first connection established.
// report, when not nil, is called after every attempt. The error, when all
// attempts fail, is the last attempt's.
func (d *Dialer) Dial(ctx context.Context, addrs []netip.AddrPort, report func(Attempt)) (net.Conn, netip.AddrPort, error) {
	if len(addrs) == 0 {
		return nil, netip.AddrPort{}, ErrNoAddress
	}
	timeout := d.Timeout
	defaults.SetPositive(&timeout, DefaultDialTimeout)
	dial := d.DialContext
	if dial == nil {
		ka := d.KeepAlive
		defaults.Set(&ka, DefaultKeepAlive)
		dial = (&net.Dialer{KeepAlive: ka}).DialContext
	}
	var err error
	for _, a := range addrs {
		if ctx.Err() != nil {
			return nil, netip.AddrPort{}, ctx.Err()
		}
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, timeout)
		var c net.Conn
		c, err = dial(actx, "tcp", a.String())
		cancel()
		if report != nil {
			report(Attempt{Addr: a, Result: Classify(err), Err: err, Duration: time.Since(start)})
		}
		if err == nil {
			return c, a, nil
		}
	}
	return nil, netip.AddrPort{}, fmt.Errorf("dc: all %d addresses failed, last: %w", len(addrs), err)
}
