package middle

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/internal/atomicfile"
	"github.com/mtproxy/mtproxy/proxy/rpc"
	"github.com/mtproxy/mtproxy/proxy/tgconfig"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// errNoCache is the cache error when no cache file is configured.
var errNoCache = errors.New("no cache file configured")

// retryAfterFailure caps the wait before the next refresh after a failed one.
const retryAfterFailure = 5 * time.Minute

// fileSpec returns where f comes from and where it is cached.
func (m *Middle) fileSpec(f File) (src, cache string, limit int) {
	if f == FileSecret {
		return m.o.ProxySecretURL, m.o.ProxySecretFile, rpc.MaxProxySecretSize
	}
	return m.o.ProxyConfigURL, m.o.ProxyConfigFile, tgconfig.MaxSize
}

// parse decodes and validates a version of f against the one in use.
func (m *Middle) parse(f File, b []byte) (parsed, RefreshResult, error) {
	if f == FileSecret {
		s, err := rpc.ParseProxySecret(b)
		if err != nil {
			return parsed{}, RefreshParseError, err
		}
		return parsed{secret: s}, RefreshOK, nil
	}
	c, err := tgconfig.Parse(b)
	if err != nil {
		return parsed{}, RefreshParseError, err
	}
	c = filterFamilies(c, m.o.Prefer)
	if err := c.Validate(m.files.config.Load()); err != nil {
		return parsed{}, RefreshRejected, err
	}
	return parsed{config: c}, RefreshOK, nil
}

// put installs a version of f and, for the config, reconciles the pool.
func (m *Middle) put(f File, p parsed, raw []byte, src Source, at time.Time) {
	m.files.install(f, p, raw, src, at)
	if pl := m.poolp.Load(); p.config != nil && pl != nil {
		pl.setConfig(p.config)
	}
}

// load downloads f and puts it in use when it is new and valid. At start-up
// (and in the background retries of StartBackground) a file still not in
// use after the download is read from its cache, and a *FileError says why
// neither worked. Each call is one "mtproxy.config.refresh" span and one
// Observer event.
func (m *Middle) load(ctx context.Context, f File, startup bool) (RefreshEvent, *FileError) {
	start := time.Now()
	src, cache, limit := m.fileSpec(f)
	ctx, span := m.tracer.Start(ctx, "mtproxy.config.refresh", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("mtproxy.config.file", f.String()),
			attribute.Bool("mtproxy.config.startup", startup),
			attribute.String("http.request.method", "GET"),
			attribute.String("url.full", redactURL(src)),
		))
	defer span.End()

	got, err := Fetch(ctx, m.o.HTTPClient, src, limit, m.o.Now)
	if got.Status != 0 {
		m.obs.HTTPDate(DateEvent{File: f, Header: got.Date, Sent: got.Sent, Received: got.Received})
		span.SetAttributes(attribute.Int("http.response.status_code", got.Status))
	}
	res := RefreshFetchFailed
	var p parsed
	if err == nil {
		p, res, err = m.parse(f, got.Body)
		if res == RefreshOK && m.files.unchanged(f, got.Body) {
			res = RefreshUnchanged
		}
	}
	now := m.o.Now()
	m.files.record(f, res, now)
	if res == RefreshOK {
		m.put(f, p, got.Body, SourceFetched, now)
		if cache != "" {
			if werr := atomicfile.Write(cache, got.Body, 0o600); werr != nil {
				m.log.Warn("cannot update the cache of Telegram's file", zap.Stringer("file", f),
					zap.String("path", cache), zap.Error(werr))
			}
		}
	}

	var ferr *FileError
	if startup && res != RefreshOK && m.files.source(f) == SourceNone {
		ferr = m.loadCache(f, cache, limit, now)
		if ferr != nil {
			ferr.URL, ferr.Fetch = src, err
		}
	}
	ev := RefreshEvent{File: f, Result: res, Startup: startup, Source: m.files.source(f),
		Duration: time.Since(start), Err: err}
	span.SetAttributes(attribute.String("mtproxy.config.result", res.String()),
		attribute.String("mtproxy.config.source", ev.Source.String()))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, res.String())
	}
	m.obs.Refresh(ev)
	m.logLoad(ev, src)
	return ev, ferr
}

// loadCache puts the cached version of f in use.
func (m *Middle) loadCache(f File, cache string, limit int, now time.Time) *FileError {
	if cache == "" {
		return &FileError{File: f, CacheErr: errNoCache}
	}
	raw, err := ReadCache(cache, limit)
	if err == nil {
		var p parsed
		if p, _, err = m.parse(f, raw); err == nil {
			m.put(f, p, raw, SourceCache, now)
			return nil
		}
	}
	return &FileError{File: f, Cache: cache, CacheErr: err}
}

func (m *Middle) logLoad(ev RefreshEvent, src string) {
	fields := []zap.Field{zap.Stringer("file", ev.File), zap.Stringer("result", ev.Result),
		zap.Stringer("source", ev.Source), zap.String("url", redactURL(src))}
	switch ev.Result {
	case RefreshOK:
		st := m.files.stats(ev.File, "", m.o.Now())
		fields = append(fields, zap.Int("size", st.Size), zap.String("md5", st.MD5))
		if ev.File == FileConfig {
			fields = append(fields, zap.Int("dcs", st.DCs))
		}
		m.log.Info("Telegram file loaded", fields...)
	case RefreshUnchanged:
		m.log.Debug("Telegram file unchanged", fields...)
	default:
		msg := "Telegram file not updated, the one in use stays"
		switch ev.Source {
		case SourceNone:
			msg = "Telegram file unavailable: not downloaded, no usable cache"
		case SourceCache:
			if ev.Startup {
				msg = "Telegram file not downloaded; the cached one is used"
			}
		}
		m.log.Warn(msg, append(fields, zap.Error(ev.Err))...)
	}
}

// Refresh downloads both files now and puts new valid versions in use,
// as the background refresh does; main calls it on SIGHUP. The error
// joins the failures; the files in use stay in use whatever happens. While
// a StartBackground still waits for the files, it is one more try (its
// error a *StartError). ErrNotStarted before a start, ErrClosed after
// Close.
func (m *Middle) Refresh(ctx context.Context) error {
	if m.closed.Load() {
		return ErrClosed
	}
	if !m.started.Load() {
		return ErrNotStarted
	}
	if m.background.Load() && !m.Running() {
		// StartBackground still waits for the files: try now.
		if done, se := m.tryStart(ctx); !done {
			return se
		}
		return nil
	}
	m.refreshMu.Lock()
	defer m.refreshMu.Unlock()
	var evs [NumFiles]RefreshEvent
	var wg sync.WaitGroup
	for f := range File(NumFiles) {
		wg.Go(func() { evs[f], _ = m.load(ctx, f, false) })
	}
	wg.Wait()
	var errs []error
	for _, ev := range evs {
		if ev.Result != RefreshOK && ev.Result != RefreshUnchanged {
			errs = append(errs, fmt.Errorf("middle: refresh %s: %s: %w", ev.File, ev.Result, ev.Err))
		}
	}
	return errors.Join(errs...)
}

// refreshLoop refreshes every RefreshInterval ±10%, sooner after a failure.
func (m *Middle) refreshLoop(ctx context.Context) {
	failed := false
	for {
		d := m.o.RefreshInterval
		if failed {
			d = min(d, retryAfterFailure)
		}
		d = d*9/10 + rand.N(d/5+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		failed = m.Refresh(ctx) != nil
	}
}

// redactURL drops credentials and the query from a URL for logs and spans.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
