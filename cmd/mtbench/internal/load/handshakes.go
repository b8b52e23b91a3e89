package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
)

// runHandshakes runs cfg.Conns workers, each looping dial + handshake +
// probe + close, until cfg.Duration passes or cfg.Count handshakes started.
// Attempts cut short by the end of the run are not failures.
func runHandshakes(ctx context.Context, cfg Config, d *dialer, r *report.Report) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var started atomic.Int64
	lats := make([][]time.Duration, cfg.Conns)
	errs := make([][]error, cfg.Conns)
	begin := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Conns {
		wg.Go(func() {
			for !expired(ctx) {
				if cfg.Count > 0 && started.Add(1) > int64(cfg.Count) {
					return
				}
				c, lat, err := d.dial(ctx, cfg.Probe)
				if err != nil {
					if !expired(ctx) {
						errs[w] = append(errs[w], err)
					}
					continue
				}
				c.Close()
				lats[w] = append(lats[w], lat)
			}
		})
	}
	wg.Wait()
	r.Elapsed = time.Since(begin)
	var all []time.Duration
	for w := range cfg.Conns {
		all = append(all, lats[w]...)
		for _, err := range errs[w] {
			r.AddError(errorKind(err), err.Error())
		}
	}
	r.OK = len(all)
	r.Handshake = stats.Summarize(all)
}

// expired reports whether ctx is done or past its deadline. A dial bound by
// the deadline can fail an instant before the context's own timer fires, so
// ctx.Err alone would count attempts cut short by the end of the run as
// failures, and loop on them.
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// endOf is why an expired ctx ended: cancelled, or its deadline.
func endOf(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}
