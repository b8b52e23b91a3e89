package webproxy_test

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/webclient"
	"github.com/mtproxy/mtproxy/users"
	"go.uber.org/zap/zaptest"
)

// With USERS_FILE the carrier's secrets are the registry's: a user written
// to the file gets a capability (derived as the client derives it from the
// link) and completes a carried conversation as that user; once the file
// drops the user (no restart), the same capability gets the public site,
// and a disabled or expired user gets no bridge page either. The static
// secrets (SECRET) keep theirs throughout.
func TestUsersFileCapabilities(t *testing.T) {
	alice, bob, carol := randKey(), randKey(), randKey()
	now := time.Now()
	path := filepath.Join(t.TempDir(), "users.toml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	userTOML := func(name string, k [16]byte, extra string) string {
		return fmt.Sprintf("[[user]]\nname = %q\nsecret = %q\n%s\n", name, hex.EncodeToString(k[:]), extra)
	}
	write(userTOML("alice", alice, "") + userTOML("bob", bob, "enabled = false") +
		userTOML("carol", carol, "expires = "+now.Add(-time.Hour).UTC().Format(time.RFC3339)))

	reg := users.New(users.Options{Logger: zaptest.NewLogger(t).Named("users")})
	var mgr *users.Manager
	r := newRig(t, rigOpts{
		engine: func(po *proxy.Options) {
			var static []users.Spec
			for i, s := range po.Secrets {
				static = append(static, users.Spec{Name: s.Label(i), Key: s.Key, Enabled: true})
			}
			mgr = users.NewManager(reg, path, static, zaptest.NewLogger(t).Named("manager"))
			if err := mgr.Load(); err != nil {
				t.Fatal(err)
			}
			po.Secrets, po.Users = nil, reg.Engine()
		},
		options: func(o *webproxy.Options) { o.Secrets = reg.WebProxySecrets() },
	})

	opts := func(k [16]byte, f wire.Form) webclient.Options {
		return webclient.Options{URL: r.srv.URL, Host: testHost, Secret: k, Form: f}
	}
	isSite := func(k [16]byte, f wire.Form) bool {
		t.Helper()
		resp, err := webclient.Do(ctxT(t), opts(k, f), http.MethodGet, webclient.PageURL(opts(k, f)), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode == http.StatusOK && string(resp.Body) == siteBody
	}

	// alice, from the file, in both forms; the static secret too.
	for _, f := range []wire.Form{wire.DD, wire.Plain} {
		mux, _, err := webclient.Connect(ctxT(t), opts(alice, f))
		if err != nil {
			t.Fatalf("alice (%v): %v", f, err)
		}
		mode := client.Padded
		if f == wire.Plain {
			mode = client.Intermediate
		}
		conversation(t, mux, alice, mode, true)
		_ = mux.Close()
	}
	if st, ok := reg.User("alice"); !ok || st.BytesIn == 0 {
		t.Errorf("alice's traffic was not counted as hers: %+v", st)
	}
	if isSite(r.keys[0], wire.DD) {
		t.Error("the static secret got the public site")
	}
	// Disabled and expired users get the public site.
	for name, k := range map[string][16]byte{"bob (disabled)": bob, "carol (expired)": carol} {
		for _, f := range []wire.Form{wire.DD, wire.Plain} {
			if !isSite(k, f) {
				t.Errorf("%s got a bridge page", name)
			}
		}
	}

	// alice removed, bob enabled: no restart.
	write(userTOML("bob", bob, ""))
	if err := mgr.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []wire.Form{wire.DD, wire.Plain} {
		if !isSite(alice, f) {
			t.Errorf("removed alice (%v) still gets a bridge page", f)
		}
		if isSite(bob, f) {
			t.Errorf("enabled bob (%v) gets the public site", f)
		}
	}
	if isSite(r.keys[1], wire.Plain) {
		t.Error("the static secret lost its capability")
	}
}
