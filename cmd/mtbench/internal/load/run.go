package load

import (
	"context"
	"net"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
)

// Run performs one run and reports it. Failures of single connections are
// counted in the report; an error means the run itself could not happen
// (bad config, a remote target, a proxy process that cannot be observed).
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if !cfg.AllowRemote {
		if err := CheckLoopback(ctx, net.DefaultResolver, cfg.Addr); err != nil {
			return nil, err
		}
	}
	r := &report.Report{
		Label: cfg.Label, Target: cfg.Addr, Mode: ModeName(cfg.Mode),
		Workload: cfg.Workload.String(), Conns: cfg.Conns, Ramp: cfg.Ramp,
		Started: time.Now(),
	}
	obs, err := startObserver(cfg)
	if err != nil {
		return nil, err
	}
	cpus0, cpuErr := cfg.Proc.CPUs()
	d := newDialer(cfg)
	var closeAll func()
	switch cfg.Workload {
	case Transfer:
		r.Direction, r.BytesPerConn = cfg.Direction.String(), cfg.Bytes
		runTransfer(ctx, cfg, d, r)
	case Echo:
		runEcho(ctx, cfg, d, r)
	case Handshakes:
		runHandshakes(ctx, cfg, d, r)
	case Idle:
		closeAll = runIdle(ctx, cfg, d, r)
	}
	if cpus1, err := cfg.Proc.CPUs(); err == nil && cpuErr == nil {
		r.CPUBusy = procfs.BusyBetween(cpus0, cpus1)
	}
	if obs != nil {
		if r.Proxy, err = obs.finish(); err != nil {
			r.AddError("observing the proxy", err.Error())
		}
	}
	if closeAll != nil {
		closeAll()
	}
	r.Finish()
	return r, nil
}
