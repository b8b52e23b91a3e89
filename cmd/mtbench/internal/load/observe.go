package load

import (
	"fmt"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/procfs"
	"github.com/mtproxy/mtproxy/cmd/mtbench/internal/report"
)

// observer watches the proxy process: memory and CPU time at the start,
// RSS samples for the peak, memory and CPU time at the end.
type observer struct {
	fs   procfs.FS
	pid  int
	cpu0 time.Duration

	mu    sync.Mutex
	usage report.ProxyUsage

	stop chan struct{}
	done chan struct{}
}

// startObserver reads the starting point and starts sampling; nil when the
// config names no process.
func startObserver(cfg Config) (*observer, error) {
	if cfg.PID == 0 {
		return nil, nil
	}
	o := &observer{fs: cfg.Proc, pid: cfg.PID, stop: make(chan struct{}), done: make(chan struct{})}
	m, err := o.fs.Memory(o.pid)
	if err != nil {
		return nil, fmt.Errorf("load: observing the proxy: %w", err)
	}
	if o.cpu0, err = o.fs.CPUTime(o.pid); err != nil {
		return nil, fmt.Errorf("load: observing the proxy: %w", err)
	}
	o.usage = report.ProxyUsage{PID: o.pid, Before: m, PeakRSS: m.RSS}
	go o.sample(cfg.SampleEvery)
	return o, nil
}

func (o *observer) sample(every time.Duration) {
	defer close(o.done)
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-t.C:
			if m, err := o.fs.Memory(o.pid); err == nil {
				o.peak(m.RSS)
			}
		}
	}
}

func (o *observer) peak(rss int64) {
	o.mu.Lock()
	o.usage.PeakRSS = max(o.usage.PeakRSS, rss)
	o.mu.Unlock()
}

// finish stops sampling and reads the end point. The process may have died:
// then the error says so and the usage holds what was seen.
func (o *observer) finish() (*report.ProxyUsage, error) {
	close(o.stop)
	<-o.done
	m, err := o.fs.Memory(o.pid)
	if err != nil {
		return nil, fmt.Errorf("load: observing the proxy at the end: %w", err)
	}
	cpu, err := o.fs.CPUTime(o.pid)
	if err != nil {
		return nil, fmt.Errorf("load: observing the proxy at the end: %w", err)
	}
	o.peak(m.RSS) // not HWM: that is the process lifetime's peak, not the run's
	o.mu.Lock()
	defer o.mu.Unlock()
	u := o.usage
	u.After = m
	u.CPU = cpu - o.cpu0
	return &u, nil
}
