package middle

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mtproxy/mtproxy/internal/timex"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/recovery"
	"github.com/mtproxy/mtproxy/tracing/spanattr"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

const tracerName = "github.com/mtproxy/mtproxy/proxy/middle"

// Middle is the middle-proxy upstream: it implements proxy.Upstream. Create
// it with New, load Telegram's files and start the pool with Start (or
// StartBackground), hand it to the engine, and Close it at shutdown.
type Middle struct {
	o      Options
	log    *zap.Logger
	obs    Observer
	panics recovery.Observer // obs, when it counts panics
	tracer trace.Tracer
	rand   io.Reader
	nat    natTable

	cnt    counters
	bufs   bufPool         // answers on their way to clients
	dogs   timex.Watchdogs // the clients' idle watchdogs, one timer per period
	upbufs bufPool         // the packets clients are sending (see budget)
	budget *budget
	files  files
	poolp  atomic.Pointer[pool] // nil until Start has loaded the files

	idBase    uint64
	idNext    atomic.Uint64
	startedAt time.Time

	refreshMu  sync.Mutex
	started    atomic.Bool
	background atomic.Bool // StartBackground: the files may come later
	closed     atomic.Bool
	lifeMu     sync.Mutex // guards ctx and cancel, set when the pool starts or at StartBackground
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

var _ proxy.Upstream = (*Middle)(nil)

// New validates o, fills in defaults and returns a Middle. It does no I/O.
func New(o Options) (*Middle, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.setDefaults()
	for _, u := range []string{o.ProxySecretURL, o.ProxyConfigURL} {
		if err := checkURL(u); err != nil {
			return nil, err
		}
	}
	m := &Middle{o: o, log: o.Logger.Named("middle"), obs: o.Observer, rand: o.Rand, nat: newNATTable(&o),
		tracer: o.TracerProvider.Tracer(tracerName, trace.WithSchemaURL(spanattr.SchemaURL))}
	m.budget = newBudget(o.MemoryBudget, &m.cnt.queued)
	m.panics = recovery.ObserverOf(o.Observer)
	var b [8]byte
	if _, err := io.ReadFull(m.rand, b[:]); err != nil {
		return nil, fmt.Errorf("middle: reading randomness: %w", err)
	}
	m.idBase = binary.LittleEndian.Uint64(b[:])
	return m, nil
}

// Start loads Telegram's files (downloading them, or reading their caches
// when that fails), then starts the pool and the background refresh, which
// run until Close. It fails with a *StartError (errors.Is ErrUnavailable)
// when a file is neither downloadable nor cached; ctx bounds the initial
// downloads only. See [Middle.StartBackground] for a caller that can serve
// without the middle proxies meanwhile.
func (m *Middle) Start(ctx context.Context) error {
	if err := m.begin(); err != nil {
		return err
	}
	m.refreshMu.Lock() // a SIGHUP Refresh waits for the initial load
	defer m.refreshMu.Unlock()
	if se := m.loadAll(ctx); se != nil {
		m.started.Store(false)
		return se
	}
	return m.launch()
}

// begin marks the layer started, once.
func (m *Middle) begin() error {
	if m.closed.Load() {
		return ErrClosed
	}
	if !m.started.CompareAndSwap(false, true) {
		return errors.New("middle: already started")
	}
	m.startedAt = m.o.Now()
	return nil
}

// loadAll loads both files at start-up: downloaded, else from the cache.
// It returns nil when both are in use.
func (m *Middle) loadAll(ctx context.Context) *StartError {
	var ferrs [NumFiles]*FileError
	var wg sync.WaitGroup
	for f := range File(NumFiles) {
		wg.Go(func() { _, ferrs[f] = m.load(ctx, f, true) })
	}
	wg.Wait()
	var se StartError
	for _, fe := range ferrs {
		if fe != nil {
			se.Files = append(se.Files, *fe)
		}
	}
	if len(se.Files) > 0 {
		return &se
	}
	return nil
}

// launch starts the pool over the files in use, and the background
// refresh. The caller holds refreshMu.
func (m *Middle) launch() error {
	// A Close during the downloads wins: nothing is started. Close sets
	// closed before it reads cancel under lifeMu, so either it sees the
	// pool started here or this sees closed.
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if m.closed.Load() {
		return ErrClosed
	}
	if m.ctx == nil {
		m.ctx, m.cancel = context.WithCancel(context.Background())
	}
	p := newPool(m, m.ctx)
	p.setConfig(m.files.config.Load())
	m.poolp.Store(p)
	if m.o.RefreshInterval > 0 {
		m.wg.Go(func() { recovery.Loop(m.ctx, recovery.Refresh, m.log, m.panics, m.refreshLoop) })
	}
	return nil
}

// Close stops the refresh and closes every RPC connection, which closes
// the clients still served. It waits for the layer's goroutines.
func (m *Middle) Close() error {
	if !m.closed.CompareAndSwap(false, true) {
		return nil
	}
	m.lifeMu.Lock()
	cancel := m.cancel
	m.lifeMu.Unlock()
	if cancel == nil {
		return nil // not started; a Start in progress will not start
	}
	cancel()
	m.refreshMu.Lock() // wait for a refresh or a background start in flight
	//lint:ignore SA2001 the empty section is the wait: a refresh holds the lock while it runs
	m.refreshMu.Unlock()
	if p := m.poolp.Load(); p != nil { // nil: a background start never got the files
		p.shutdown()
	}
	m.wg.Wait()
	return nil
}

// Serve multiplexes one client over the pool until either side ends. It
// returns nil at a clean end, proxy.ErrIdle when the client was idle for
// IdleTimeout.
func (m *Middle) Serve(ctx context.Context, s *proxy.Session) error {
	p := m.poolp.Load()
	if p == nil {
		return ErrNotStarted
	}
	if m.closed.Load() {
		return ErrClosed
	}
	m.cnt.ext.Add(1)
	m.cnt.extCreated.Add(1)
	defer m.cnt.ext.Add(-1)
	return newExtConn(m, p, s).serve(ctx)
}

// WaitReady blocks until the default DC has a ready connection, or ctx is
// done. Useful for readiness checks.
func (m *Middle) WaitReady(ctx context.Context) error {
	p := m.poolp.Load()
	if p == nil {
		return ErrNotStarted
	}
	for {
		ready := p.readySignal()
		ts, _ := p.targetsFor(0)
		for _, t := range ts {
			if c, _ := t.pick(); c != nil {
				return nil
			}
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Targets returns the middle proxies of the config in use, per DC; a
// dc.Prober's Targets func can return it.
func (m *Middle) Targets() map[int][]netip.AddrPort {
	p := m.poolp.Load()
	if p == nil {
		return map[int][]netip.AddrPort{}
	}
	return p.addrs()
}

// Stats returns a snapshot of the counters, the pool and the files.
func (m *Middle) Stats() Stats {
	var s Stats
	m.cnt.fill(&s)
	s.BuffersInUse = m.bufs.inUse.Load()
	s.UploadBytes = m.budget.uploads.Load()
	s.BudgetShed = m.budget.shed.Load()
	s.MemoryBudget = m.o.MemoryBudget
	s.ProxyTagSet = m.o.AdTag != nil
	now := m.o.Now()
	s.Secret = m.files.stats(FileSecret, fileName(m.o.ProxySecretFile, m.o.ProxySecretURL), now)
	s.Config = m.files.stats(FileConfig, fileName(m.o.ProxyConfigFile, m.o.ProxyConfigURL), now)
	p := m.poolp.Load()
	if p == nil {
		return s
	}
	for _, t := range p.all() {
		ts := t.stats()
		s.Targets = append(s.Targets, ts)
		if ts.Retired {
			continue
		}
		s.DeclaredTargets++
		if ts.Ready > 0 {
			s.ReadyTargets++
		}
		if ts.Clients > 0 {
			s.ActiveTargets++
		}
	}
	slices.SortFunc(s.Targets, func(a, b TargetStats) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return boolCmp(a.Retired, b.Retired)
	})
	s.DCs = dcStats(s.Targets, p.addrs())
	return s
}

func dcStats(targets []TargetStats, byDC map[int][]netip.AddrPort) []DCStats {
	idx := make(map[netip.AddrPort]*TargetStats, len(targets))
	for i := range targets {
		if !targets[i].Retired {
			idx[targets[i].Addr] = &targets[i]
		}
	}
	out := make([]DCStats, 0, len(byDC))
	for id, addrs := range byDC {
		d := DCStats{DC: id, Targets: len(addrs)}
		for _, a := range addrs {
			if t := idx[a]; t != nil {
				d.Ready += t.Ready
				d.Connecting += t.Connecting
				d.RTT = minRTT(d.RTT, t.RTT)
				if t.Ready > 0 {
					d.ReadyTargets++
				}
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b DCStats) int { return a.DC - b.DC })
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func fileName(path, url string) string {
	if path != "" {
		return path
	}
	return redactURL(url)
}

// nextConnID returns a fresh connection id for RPC_PROXY_REQ: a random
// base plus a counter, unique for the process lifetime.
func (m *Middle) nextConnID() uint64 { return m.idBase + m.idNext.Add(1) }
