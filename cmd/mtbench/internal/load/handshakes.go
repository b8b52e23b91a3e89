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
			for ctx.Err() == nil {
				if cfg.Count > 0 && started.Add(1) > int64(cfg.Count) {
					return
				}
				c, lat, err := d.dial(ctx, cfg.Probe)
				if err != nil {
					if ctx.Err() == nil {
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
			r.AddError(errorKind(err))
		}
	}
	r.OK = len(all)
	r.Handshake = stats.Summarize(all)
}
