package middle

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
)

// backgroundRig is a rig whose core is down and which has no cache: the
// first start of an offline proxy in MODE=auto.
func backgroundRig(t *testing.T, opts func(o *Options)) *rig {
	t.Helper()
	return newRig(t, rigOpts{noStart: true, setup: func(r *rig, o *Options) {
		r.core.SetDown(true)
		o.StartRetryMin, o.StartRetryMax = 20*time.Millisecond, 100*time.Millisecond
		if opts != nil {
			opts(o)
		}
	}})
}

func startBackground(t *testing.T, m *Middle) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.StartBackground(ctx); err != nil {
		t.Fatalf("StartBackground: %v", err)
	}
}

// With neither download nor cache, StartBackground returns at once without
// an error, refuses clients meanwhile, keeps trying, and starts the pool
// as soon as the files can be downloaded; then clients are served.
func TestStartBackgroundRetriesUntilTheFilesArrive(t *testing.T) {
	r := backgroundRig(t, nil)
	startBackground(t, r.m)
	if r.m.Running() || r.m.DCReady(2) {
		t.Fatal("running without Telegram's files")
	}
	if err := r.m.Serve(context.Background(), nil); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Serve before the files: %v, want ErrNotStarted", err)
	}
	// Two failed tries at least, then the core comes up.
	eventually(t, "a background retry", 10*time.Second, func() bool { return r.core.Requests(fakecore.PathConfig) >= 2 })
	if r.m.Running() {
		t.Fatal("running while the core is down")
	}
	r.core.SetDown(false)
	eventually(t, "the pool running", 10*time.Second, r.m.Running)
	eventually(t, "DC 2 ready", 10*time.Second, func() bool { return r.m.DCReady(2) })
	st := r.m.Stats()
	if st.Config.Source != SourceFetched || st.Secret.Source != SourceFetched {
		t.Errorf("sources %v %v, want fetched", st.Secret.Source, st.Config.Source)
	}
	// The downloads were cached for the next start.
	if got := readFile(t, filepath.Join(r.dir, "proxy.secret")); len(got) == 0 {
		t.Error("the proxy secret was not cached")
	}
	// Served through the middle proxy now.
	r.serveEngine()
	echo(t, r.dial(client.Intermediate, 2), 1, 64)
	if len(r.mids[0].Requests()) != 1 {
		t.Errorf("%d requests reached the middle proxy, want 1", len(r.mids[0].Requests()))
	}
	// Retries stopped: the refresh loop (1h) is the only downloader now.
	n := r.core.Requests(fakecore.PathConfig)
	if err := r.m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.core.Requests(fakecore.PathConfig); got != n+1 {
		t.Errorf("a Refresh made %d config downloads, want 1", got-n)
	}
}

// When the files are there at once, StartBackground is Start: the pool
// runs when it returns.
func TestStartBackgroundWithFiles(t *testing.T) {
	r := newRig(t, rigOpts{noStart: true})
	startBackground(t, r.m)
	if !r.m.Running() {
		t.Fatal("not running after a start with the files")
	}
	eventually(t, "DC 2 ready", 10*time.Second, func() bool { return r.m.DCReady(2) })
	// A DC the config does not list is served by the default DC's proxies.
	if !r.m.DCReady(7) {
		t.Error("DC 7 (not in the config) not ready though the default DC is")
	}
	if err := r.m.StartBackground(context.Background()); err == nil {
		t.Error("a second start succeeded")
	}
}

// A Refresh (SIGHUP) while the files are missing tries at once, and
// starts the pool when it gets them, without waiting for the backoff.
func TestRefreshDuringBackgroundStart(t *testing.T) {
	r := backgroundRig(t, func(o *Options) { o.StartRetryMin, o.StartRetryMax = time.Hour, time.Hour })
	startBackground(t, r.m)
	err := r.m.Refresh(context.Background())
	var se *StartError
	if !errors.As(err, &se) || len(se.Files) != 2 {
		t.Fatalf("Refresh with the core down: %v, want a *StartError for both files", err)
	}
	r.core.SetDown(false)
	if err := r.m.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh with the core up: %v", err)
	}
	if !r.m.Running() {
		t.Fatal("the pool did not start")
	}
}

// A file downloaded on one try is not lost when the other fails: the
// next try needs only the missing one, even without a cache.
func TestBackgroundStartKeepsAPartialLoad(t *testing.T) {
	r := backgroundRig(t, func(o *Options) { o.ProxySecretFile, o.ProxyConfigFile = "", "" })
	r.core.SetDown(false)
	cfg := configFor(2, []int{2}, r.mids)
	r.core.Set(fakecore.PathConfig, nil) // 404: the secret comes, the config does not
	startBackground(t, r.m)
	if r.m.Running() {
		t.Fatal("running without the config")
	}
	eventually(t, "two tries", 10*time.Second, func() bool { return r.core.Requests(fakecore.PathConfig) >= 2 })
	r.core.Set(fakecore.PathSecret, nil) // the secret is gone now, but is in use
	r.core.Set(fakecore.PathConfig, cfg)
	eventually(t, "the pool running", 10*time.Second, r.m.Running)
}

// Close stops the retries; a closed layer never starts its pool.
func TestCloseDuringBackgroundStart(t *testing.T) {
	r := backgroundRig(t, nil)
	startBackground(t, r.m)
	eventually(t, "a background retry", 10*time.Second, func() bool { return r.core.Requests(fakecore.PathConfig) >= 2 })
	if err := r.m.Close(); err != nil {
		t.Fatal(err)
	}
	n := r.core.Requests(fakecore.PathConfig)
	r.core.SetDown(false)
	// Close waited for the retry goroutine: no try can come after it.
	if err := r.m.Refresh(context.Background()); err == nil {
		t.Error("Refresh after Close succeeded")
	}
	if r.m.Running() || r.core.Requests(fakecore.PathConfig) != n {
		t.Errorf("running %v, %d config downloads after Close", r.m.Running(), r.core.Requests(fakecore.PathConfig)-n)
	}
}
