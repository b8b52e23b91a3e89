package load

import (
	"context"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/ramp"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/stats"
	"github.com/mtproxy/mtproxy/testkit/client"
)

// runIdle opens cfg.Conns connections (handshake and probe, at most
// cfg.DialParallel at once, on the ramp, within cfg.Duration), then holds
// them for cfg.Hold. Elapsed is the opening phase. It returns the function
// that closes them, for after the proxy's memory is read.
func runIdle(ctx context.Context, cfg Config, d *dialer, r *report.Report) (closeAll func()) {
	openCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	sched := ramp.Schedule{N: cfg.Conns, Ramp: cfg.Ramp}
	conns := make([]*client.Conn, cfg.Conns)
	lats := make([]time.Duration, cfg.Conns)
	errs := make([]error, cfg.Conns)
	sem := make(chan struct{}, cfg.DialParallel)
	begin := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.Conns {
		if errs[i] = sched.Wait(openCtx, begin, i); errs[i] != nil {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-openCtx.Done():
			errs[i] = openCtx.Err()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			// The dial is bounded by the opening phase; the connection
			// outlives it, so it is not tied to openCtx.
			conns[i], lats[i], errs[i] = d.dial(openCtx, cfg.Probe)
		})
	}
	wg.Wait()
	r.Elapsed = time.Since(begin)
	var ok []time.Duration
	for i := range cfg.Conns {
		if errs[i] != nil {
			r.AddError(errorKind(errs[i]), errs[i].Error())
			continue
		}
		ok = append(ok, lats[i])
	}
	r.OK = len(ok)
	r.Handshake = stats.Summarize(ok)

	t := time.NewTimer(cfg.Hold)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	return func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}
}
