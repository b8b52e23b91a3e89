package clockskew

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/timex"
)

// Monitor measures the clock offset periodically and keeps the latest
// sample of each [Source]. Create it with [NewMonitor]; its methods are
// safe for concurrent use.
type Monitor struct {
	o   Options
	obs Observer

	mu     sync.Mutex
	latest map[Source]Sample
}

// NewMonitor checks o's servers and returns a Monitor reporting to obs
// (nil for none). Errors wrap [ErrBadServer].
func NewMonitor(o Options, obs Observer) (*Monitor, error) {
	o = o.withDefaults()
	for _, s := range o.Servers {
		if _, err := serverAddress(s); err != nil {
			return nil, err
		}
	}
	if obs == nil {
		obs = nopObserver{}
	}
	return &Monitor{o: o, obs: obs, latest: make(map[Source]Sample)}, nil
}

// Run measures over NTP at once and then every Options.Interval until ctx
// is done. A failed round keeps the previous NTP sample (its At tells its
// age) and is reported to the Observer.
func (m *Monitor) Run(ctx context.Context) {
	t := m.o.NewTicker(m.o.Interval)
	defer t.Stop()
	for {
		m.MeasureNow(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// MeasureNow runs one NTP round (see [MeasureNTP]), records its result and
// returns it.
func (m *Monitor) MeasureNow(ctx context.Context) (Sample, error) {
	return MeasureNTP(ctx, m.o, recorder{m})
}

// ObserveHTTPDate feeds the Date header of a response from server (a URL or
// host, for reports), requested at sent and received at received, both by
// this host's clock. The estimate (see [FromHTTPDate]) becomes the latest
// http_date sample and is reported; an unusable header is reported as a
// failure and returned.
func (m *Monitor) ObserveHTTPDate(server, header string, sent, received time.Time) (Sample, error) {
	s, err := FromHTTPDate(header, sent, received)
	if err != nil {
		err = fmt.Errorf("clockskew: Date from %s: %w", server, err)
		m.obs.SkewFailed(SourceHTTPDate, server, err)
		return Sample{}, err
	}
	s.Server = server
	recorder{m}.SkewMeasured(s)
	return s, nil
}

// Latest returns the most recent sample of src, if any.
func (m *Monitor) Latest(src Source) (Sample, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.latest[src]
	return s, ok
}

// Worst returns, among the latest sample of each source, the one with the
// largest |Offset| and its [Severity]; ok is false before any sample.
func (m *Monitor) Worst() (s Sample, sev Severity, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, src := range Sources() {
		c, found := m.latest[src]
		if !found {
			continue
		}
		if !ok || abs(c.Offset) > abs(s.Offset) {
			s, ok = c, true
		}
	}
	if ok {
		sev = Classify(s.Offset, m.o)
	}
	return s, sev, ok
}

// abs is |d|, saturated: math.MinInt64 has no positive counterpart.
func abs(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
		if d < 0 {
			return timex.MaxDuration
		}
	}
	return d
}

// recorder stores a measured sample before forwarding it, so an Observer
// that reads Latest from its callback sees the new value.
type recorder struct{ m *Monitor }

func (r recorder) SkewMeasured(s Sample) {
	r.m.mu.Lock()
	r.m.latest[s.Source] = s
	r.m.mu.Unlock()
	r.m.obs.SkewMeasured(s)
}

func (r recorder) SkewFailed(src Source, server string, err error) {
	r.m.obs.SkewFailed(src, server, err)
}

type nopObserver struct{}

func (nopObserver) SkewMeasured(Sample)              {}
func (nopObserver) SkewFailed(Source, string, error) {}
