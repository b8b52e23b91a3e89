package clockskew

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/beevik/ntp"
)

// MeasureNTP queries every server of o.Servers once (at most o.Concurrency
// at a time, each within o.Timeout) and combines the valid answers.
//
// The combination is the median: answers are sorted by offset and the
// middle one is returned as it was measured (for an even count, the one of
// the two middle answers with the smaller uncertainty), so a single false
// ticker among three servers cannot move the result, and Server names a
// reference that really said so. The median is taken over all answers
// rather than returning the first one because the round costs no more
// wall time than its slowest server, bounded by the timeout.
//
// Each failed server is reported to obs (which may be nil) as a
// [*QueryError]. When no server answers validly the error wraps
// [ErrNoAnswer] and joins the per-server errors. The round's result is
// reported to obs too, success or not.
func MeasureNTP(ctx context.Context, o Options, obs Observer) (Sample, error) {
	o = o.withDefaults()
	samples := make([]Sample, 0, len(o.Servers))
	var errs []error
	var mu sync.Mutex
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for _, srv := range o.Servers {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				mu.Lock()
				errs = append(errs, &QueryError{Source: SourceNTP, Server: srv, Failure: FailCanceled, Err: ctx.Err()})
				mu.Unlock()
				return
			}
			s, err := queryNTP(ctx, srv, o)
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			} else {
				samples = append(samples, s)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if obs != nil {
		for _, err := range errs {
			var qe *QueryError
			if errors.As(err, &qe) {
				obs.SkewFailed(SourceNTP, qe.Server, err)
			}
		}
	}
	if len(samples) == 0 {
		err := fmt.Errorf("%w (%d servers tried): %w", ErrNoAnswer, len(o.Servers), errors.Join(errs...))
		if obs != nil {
			obs.SkewFailed(SourceNTP, "", err)
		}
		return Sample{}, err
	}
	s := median(samples)
	if obs != nil {
		obs.SkewMeasured(s)
	}
	return s, nil
}

// median returns the answer with the median offset; of two middle answers
// the one with the smaller uncertainty.
func median(samples []Sample) Sample {
	slices.SortFunc(samples, func(a, b Sample) int {
		if a.Offset != b.Offset {
			return compare(a.Offset, b.Offset)
		}
		return compare(a.Uncertainty, b.Uncertainty)
	})
	n := len(samples)
	m := samples[n/2]
	if n%2 == 0 && samples[n/2-1].Uncertainty < m.Uncertainty {
		m = samples[n/2-1]
	}
	return m
}

func compare(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// queryNTP queries one server. The socket is closed as soon as ctx ends
// or the timeout passes, so nothing outlives either.
func queryNTP(parent context.Context, server string, o Options) (Sample, error) {
	start := time.Now()
	fail := func(f Failure, err error) (Sample, error) {
		return Sample{}, &QueryError{Source: SourceNTP, Server: server, Failure: f, Took: time.Since(start), Err: err}
	}
	addr, err := serverAddress(server)
	if err != nil {
		return fail(FailConfig, err)
	}
	ctx, cancel := context.WithTimeout(parent, o.Timeout)
	defer cancel()

	var stop func() bool
	dial := func(_, remote string) (net.Conn, error) {
		c, err := o.Dial(ctx, "udp", remote)
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { c.Close() })
		return c, nil
	}
	resp, err := ntp.QueryWithOptions(addr, ntp.QueryOptions{Timeout: o.Timeout, Dialer: dial})
	if stop != nil {
		stop()
	}
	if err != nil {
		return fail(classify(ctx, parent, err), err)
	}
	if err := resp.Validate(); err != nil {
		return fail(FailBadAnswer, err)
	}
	return Sample{
		Source:      SourceNTP,
		Offset:      -resp.ClockOffset, // the library's offset is server minus us
		Uncertainty: resp.RootDistance,
		Server:      server,
		At:          resp.Timestamps.ClientRecv,
	}, nil
}

// classify names the failure of a query whose context is ctx (the
// per-query one) derived from parent (the caller's).
func classify(ctx, parent context.Context, err error) Failure {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case parent.Err() != nil:
		return FailCanceled
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded):
		return FailTimeout
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return FailTimeout
		}
		return FailResolve
	case errors.As(err, &netErr):
		if netErr.Timeout() {
			return FailTimeout
		}
		return FailNetwork
	}
	return FailBadAnswer // the library's parse and validation errors
}
