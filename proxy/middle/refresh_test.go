package middle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakecore"
)

// Refresh while the download fails keeps everything and reports it.
func TestRefreshFetchFailure(t *testing.T) {
	r := newRig(t, rigOpts{})
	c := r.dial(client.Abridged, 2)
	echo(t, c, 1, 64)
	r.core.SetDown(true)
	err := r.m.Refresh(context.Background())
	if !errors.Is(err, ErrFetch) {
		t.Fatalf("Refresh: %v, want ErrFetch", err)
	}
	if st := r.m.Stats(); st.Config.LastResult != RefreshFetchFailed || st.Config.Source != SourceFetched ||
		st.Secret.LastResult != RefreshFetchFailed {
		t.Errorf("stats %+v %+v", st.Config, st.Secret)
	}
	echo(t, c, 2, 64)
	r.core.SetDown(false)
	if err := r.m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The background refresh downloads both files every RefreshInterval and
// puts a new version in use.
func TestBackgroundRefresh(t *testing.T) {
	r := newRig(t, rigOpts{mids: 2, opts: func(o *Options) { o.RefreshInterval = 30 * time.Millisecond }})
	eventually(t, "three refreshes", 20*time.Second, func() bool {
		return r.core.Requests(fakecore.PathConfig) >= 4 && r.core.Requests(fakecore.PathSecret) >= 4
	})
	res := r.obs.refreshResults(FileConfig)
	if res[0] != RefreshOK || res[len(res)-1] != RefreshUnchanged {
		t.Errorf("config results %v", res)
	}
	// A new config: DC 2 moves to the second middle proxy.
	next := []byte("default 3;\n" + "proxy_for 2 " + r.mids[1].Addr().String() + ";\n" +
		"proxy_for 3 " + r.mids[1].Addr().String() + ";\n")
	r.core.Set(fakecore.PathConfig, next)
	eventually(t, "the new config in use", 20*time.Second, func() bool { return r.m.Stats().Config.MD5 == md5hex(next) })
	// The cache is written right after the new config is put in use.
	eventually(t, "the new config cached", 10*time.Second, func() bool {
		got, _ := os.ReadFile(filepath.Join(r.dir, "proxy.conf"))
		return bytes.Equal(got, next)
	})
	echo(t, r.dial(client.Intermediate, 2), 1, 64)
	if len(r.mids[1].Requests()) != 1 {
		t.Error("DC 2 did not move to the new middle proxy")
	}
}
