package middle

import (
	"context"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
)

// StartBackground is Start for a caller that can serve clients another way
// while Telegram's files are missing (MODE=auto serves them directly). It
// tries once as Start does, bounded by ctx; when both files are in use the
// pool starts at once, as with Start. When a file is neither downloadable
// nor cached, it does not fail: it logs why, returns nil, and keeps trying
// in the background, StartRetryMin after the first try and doubling up to
// StartRetryMax (with jitter), until both files are in; then the pool and
// the background refresh start. A [Middle.Refresh] (SIGHUP) meanwhile
// tries at once. Until then [Middle.Running] is false, [Middle.DCReady]
// false for every DC and Serve returns ErrNotStarted.
//
// The error is for misuse only: ErrClosed, or a second start.
func (m *Middle) StartBackground(ctx context.Context) error {
	if err := m.begin(); err != nil {
		return err
	}
	m.background.Store(true)
	m.lifeMu.Lock()
	if m.closed.Load() {
		m.lifeMu.Unlock()
		return ErrClosed
	}
	// The context of the retries and, once started, of the pool: Close
	// cancels it whatever the stage.
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.lifeMu.Unlock()

	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	se := m.loadAll(ctx)
	if se == nil {
		return m.launch()
	}
	m.log.Warn("Telegram's files are unavailable; retrying in the background",
		zap.Duration("next_try", m.o.StartRetryMin), zap.Error(se))
	m.wg.Go(func() { m.retryStart(m.ctx) })
	return nil
}

// Running reports whether Telegram's files are in use and the pool runs:
// at once after a successful Start, later after a StartBackground that had
// to retry.
func (m *Middle) Running() bool { return m.poolp.Load() != nil }

// retryStart loads the files with backoff until both are in, then starts
// the pool. It ends early when ctx is done (Close).
func (m *Middle) retryStart(ctx context.Context) {
	timer := time.NewTimer(m.retryDelay(1))
	defer timer.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		done, se := m.tryStart(ctx)
		if done {
			return
		}
		next := m.retryDelay(n + 1)
		m.log.Warn("Telegram's files still unavailable; retrying in the background",
			zap.Duration("next_try", next), zap.Error(se))
		timer.Reset(next)
	}
}

// tryStart is one background try: under refreshMu, unless the pool already
// runs (a Refresh got there first) or the layer is closing. done tells the
// retries to stop.
func (m *Middle) tryStart(ctx context.Context) (done bool, se *StartError) {
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	if m.Running() || ctx.Err() != nil {
		return true, nil
	}
	if se = m.loadAll(ctx); se != nil {
		return false, se
	}
	// The only error is ErrClosed: Close won the race, nothing to start.
	if m.launch() == nil {
		m.log.Info("Telegram's files loaded; the middle-proxy pool starts")
	}
	return true, nil
}

// retryDelay is the wait before background try n+1: StartRetryMin
// doubling up to StartRetryMax, a random point in its upper half.
func (m *Middle) retryDelay(n int) time.Duration {
	d := m.o.StartRetryMin
	for i := 1; i < n && d < m.o.StartRetryMax; i++ {
		d *= 2
	}
	d = min(d, m.o.StartRetryMax)
	return d/2 + rand.N(d/2+1)
}

// DCReady reports whether a new client of DC dc would find a ready RPC
// connection now: one of the DC's middle proxies (the default DC's when
// the config does not list dc) has one. It is false before the pool runs.
// It takes a few locks and allocates nothing; MODE=auto asks it for every
// new client.
func (m *Middle) DCReady(dc int) bool {
	p := m.poolp.Load()
	if p == nil || m.closed.Load() {
		return false
	}
	ts, _ := p.targetsFor(dc)
	for _, t := range ts {
		if t.hasReady() {
			return true
		}
	}
	return false
}
