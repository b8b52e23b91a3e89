package middle

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/tgconfig"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
)

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Both files are downloaded at Start, put in use and stored in their cache
// files (owner-only), and Stats describes them.
func TestFilesFetchedAndCached(t *testing.T) {
	before := time.Now()
	r := newRig(t, rigOpts{})
	cfg := configFor(2, []int{2}, r.mids)
	secretPath, configPath := filepath.Join(r.dir, "proxy.secret"), filepath.Join(r.dir, "proxy.conf")
	if got := readFile(t, secretPath); !bytes.Equal(got, r.secret) {
		t.Error("cached secret differs from the download")
	}
	if got := readFile(t, configPath); !bytes.Equal(got, cfg) {
		t.Errorf("cached config %q, want %q", got, cfg)
	}
	for _, p := range []string{secretPath, configPath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", p, fi.Mode(), err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(r.dir, ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	st := r.m.Stats()
	for _, fc := range []struct {
		fs   FileStats
		name string
		raw  []byte
		dcs  int
	}{{st.Secret, secretPath, r.secret, 0}, {st.Config, configPath, cfg, 2}} {
		fs := fc.fs
		if fs.Name != fc.name || fs.Source != SourceFetched || fs.Size != len(fc.raw) || fs.MD5 != md5hex(fc.raw) ||
			fs.DCs != fc.dcs || fs.LastResult != RefreshOK || fs.LoadedAt.Before(before) || fs.LoadedAt.After(time.Now()) {
			t.Errorf("file stats %+v, want name %s, %d bytes, md5 %s, %d DCs", fs, fc.name, len(fc.raw), md5hex(fc.raw), fc.dcs)
		}
	}
	for _, f := range []File{FileSecret, FileConfig} {
		if got := r.obs.refreshResults(f); len(got) != 1 || got[0] != RefreshOK {
			t.Errorf("%v: refresh events %v", f, got)
		}
	}
	r.obs.mu.Lock()
	dates := len(r.obs.dates)
	r.obs.mu.Unlock()
	if dates != 2 {
		t.Errorf("%d Date events, want 2", dates)
	}
	if got := r.m.Targets(); len(got) != 2 || got[2][0] != r.mids[0].Addr() || got[-2][0] != r.mids[0].Addr() {
		t.Errorf("Targets %v", got)
	}
}

// When core.telegram.org is unreachable or answers an error, Start uses
// the cached files and the proxy works.
func TestStartFromCache(t *testing.T) {
	for _, down := range []string{"reset", "503", "html"} {
		t.Run(down, func(t *testing.T) {
			r := newRig(t, rigOpts{noStart: true})
			cfg := configFor(2, []int{2}, r.mids)
			writeFile(t, filepath.Join(r.dir, "proxy.secret"), r.secret)
			writeFile(t, filepath.Join(r.dir, "proxy.conf"), cfg)
			switch down {
			case "reset":
				r.core.SetDown(true)
			case "503":
				r.core.SetStatus(503)
			case "html": // a captive portal: 200 with a page
				page := []byte("<html><body>Please log in to the Wi-Fi network, it is required for ...</body></html>")
				r.core.Set(fakecore.PathSecret, page)
				r.core.Set(fakecore.PathConfig, page)
			}
			r.start()
			echo(t, r.dial(client.Intermediate, 2), 1, 64)
			st := r.m.Stats()
			if st.Secret.Source != SourceCache || st.Config.Source != SourceCache || st.Config.MD5 != md5hex(cfg) {
				t.Errorf("sources %v %v md5 %s", st.Secret.Source, st.Config.Source, st.Config.MD5)
			}
			if r.core.Requests(fakecore.PathSecret) == 0 || r.core.Requests(fakecore.PathConfig) == 0 {
				t.Error("no download attempted")
			}
			// The cache is not overwritten by what failed.
			if got := readFile(t, filepath.Join(r.dir, "proxy.conf")); !bytes.Equal(got, cfg) {
				t.Error("cache overwritten")
			}
			for _, f := range []File{FileSecret, FileConfig} {
				got := r.obs.refreshResults(f)
				if len(got) != 1 || got[0] == RefreshOK || got[0] == RefreshUnchanged {
					t.Errorf("%v: refresh events %v, want one failure", f, got)
				}
			}
		})
	}
}

// Without a usable cache, a failed download is fatal: Start returns a
// *StartError naming each unavailable file, and the layer refuses
// clients. The proxy secret never appears in the message.
func TestStartFails(t *testing.T) {
	cases := []struct {
		name  string
		setup func(r *rig, o *Options)
		files []File
		sub   string // in the message
	}{
		{"no_cache_configured", func(r *rig, o *Options) {
			r.core.SetDown(true)
			o.ProxySecretFile, o.ProxyConfigFile = "", ""
		}, []File{FileSecret, FileConfig}, "no cache file configured"},
		{"no_cache_file", func(r *rig, o *Options) { r.core.SetDown(true) },
			[]File{FileSecret, FileConfig}, "no such file"},
		{"corrupt_caches", func(r *rig, o *Options) {
			r.core.SetStatus(500)
			writeFile(r.t, o.ProxySecretFile, r.secret[:20])
			writeFile(r.t, o.ProxyConfigFile, []byte("proxy_for 2 nonsense"))
		}, []File{FileSecret, FileConfig}, "500"},
		{"config_only", func(r *rig, o *Options) {
			r.core.Set(fakecore.PathConfig, []byte("default 2;\n")) // parses, lists nothing
		}, []File{FileConfig}, "no middle proxies"},
		{"secret_only", func(r *rig, o *Options) {
			r.core.Set(fakecore.PathSecret, nil) // 404
			writeFile(r.t, o.ProxySecretFile, append(r.secret, make([]byte, 200)...))
		}, []File{FileSecret}, "404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOpts{noStart: true, setup: tc.setup})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := r.m.Start(ctx)
			var se *StartError
			if !errors.Is(err, ErrUnavailable) || !errors.As(err, &se) {
				t.Fatalf("Start: %v, want a *StartError", err)
			}
			var got []File
			for _, f := range se.Files {
				got = append(got, f.File)
				if f.URL == "" || f.Fetch == nil {
					t.Errorf("file error %+v lacks the URL or the download error", f)
				}
			}
			if len(got) != len(tc.files) || got[0] != tc.files[0] {
				t.Errorf("files %v, want %v", got, tc.files)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.sub) || strings.Contains(msg, "\n") {
				t.Errorf("message %q, want one line with %q", msg, tc.sub)
			}
			if strings.Contains(msg, hex.EncodeToString(r.secret[:8])) || strings.Contains(msg, string(r.secret[4:12])) {
				t.Error("the message contains the secret")
			}
			if err := r.m.Serve(context.Background(), nil); !errors.Is(err, ErrNotStarted) {
				t.Errorf("Serve: %v", err)
			}
			if err := r.m.Refresh(context.Background()); !errors.Is(err, ErrNotStarted) {
				t.Errorf("Refresh: %v", err)
			}
		})
	}
}

// A refreshed config that does not parse, lists nothing, or lists far
// fewer DCs is rejected and counted; the config in use, its cache and the
// connections stay. The same for a broken secret.
func TestRefreshRejectsBadFiles(t *testing.T) {
	r := newRig(t, rigOpts{noStart: true})
	addr := r.mids[0].Addr().String()
	good := []byte("default 2;\n")
	for _, dc := range []string{"1", "-1", "2", "-2", "3", "-3", "4", "-4", "5", "-5"} {
		good = append(good, "proxy_for "+dc+" "+addr+";\n"...)
	}
	r.core.Set(fakecore.PathConfig, good)
	r.start()
	r.waitTargets(2)
	c := r.dial(client.Intermediate, 2)
	echo(t, c, 1, 64)
	accepted := r.mids[0].Stats().Accepted

	cases := []struct {
		name string
		path string
		body []byte
		want RefreshResult
		err  error
	}{
		{"config_syntax", fakecore.PathConfig, []byte("proxy_for 2 ;;;\n"), RefreshParseError, nil},
		{"config_empty", fakecore.PathConfig, []byte("# nothing\ndefault 2;\n"), RefreshRejected, tgconfig.ErrEmpty},
		{"config_no_default", fakecore.PathConfig, []byte("default 7;\nproxy_for 2 " + addr + ";\n"), RefreshRejected, tgconfig.ErrNoDefault},
		{"config_shrunk", fakecore.PathConfig, []byte("default 2;\nproxy_for 2 " + addr + ";\nproxy_for -2 " + addr + ";\n"), RefreshRejected, tgconfig.ErrShrunk},
		{"secret_short", fakecore.PathSecret, r.secret[:16], RefreshParseError, nil},
		{"secret_text", fakecore.PathSecret, bytes.Repeat([]byte("0123456789abcdef"), 8), RefreshParseError, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := r.m.Stats()
			r.core.Set(tc.path, tc.body)
			err := r.m.Refresh(context.Background())
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Fatalf("Refresh: %v, want an error (%v)", err, tc.err)
			}
			f := FileConfig
			if tc.path == fakecore.PathSecret {
				f = FileSecret
			}
			if res := r.obs.refreshResults(f); res[len(res)-1] != tc.want {
				t.Errorf("last result %v, want %v", res[len(res)-1], tc.want)
			}
			st := r.m.Stats()
			if st.Config.MD5 != md5hex(good) || st.Secret.MD5 != md5hex(r.secret) || st.Config.DCs != 10 {
				t.Errorf("the files in use changed: %+v", st.Config)
			}
			if fs := map[File]FileStats{FileSecret: st.Secret, FileConfig: st.Config}[f]; fs.LastResult != tc.want ||
				!fs.LoadedAt.Equal(map[File]FileStats{FileSecret: before.Secret, FileConfig: before.Config}[f].LoadedAt) {
				t.Errorf("file stats %+v", fs)
			}
			if !bytes.Equal(readFile(t, filepath.Join(r.dir, "proxy.conf")), good) ||
				!bytes.Equal(readFile(t, filepath.Join(r.dir, "proxy.secret")), r.secret) {
				t.Error("a cache file was overwritten with a rejected file")
			}
			echo(t, c, 2, 64)
			// Restore the good file: unchanged, not an error.
			r.core.Set(tc.path, map[string][]byte{fakecore.PathConfig: good, fakecore.PathSecret: r.secret}[tc.path])
			if err := r.m.Refresh(context.Background()); err != nil {
				t.Fatalf("Refresh with the files in use: %v", err)
			}
			if res := r.obs.refreshResults(f); res[len(res)-1] != RefreshUnchanged {
				t.Errorf("last result %v, want unchanged", res[len(res)-1])
			}
		})
	}
	if st := r.mids[0].Stats(); st.Accepted != accepted || len(r.obs.closeEvents()) != 0 {
		t.Errorf("connections churned: accepted %d -> %d, closes %+v", accepted, st.Accepted, r.obs.closeEvents())
	}
}
