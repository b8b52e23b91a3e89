package admin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/users"
)

func TestAPIRefusesAMissingOrWrongToken(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tok := range []string{"", "wrong-token-0123456789", testToken + "x", strings.ToUpper(testToken)} {
		for _, rt := range [][2]string{{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"DELETE", "/api/v1/users/env"},
			{"GET", "/api/v1/users/env/qr.svg"}, {"POST", "/api/v1/users/env/rotate"}} {
			if code, body := f.callAs(tok, rt[0], rt[1], `{"name":"x"}`); code != http.StatusUnauthorized || !strings.Contains(body, "bearer token") {
				t.Errorf("token %q %s %s: %d %s", tok, rt[0], rt[1], code, body)
			}
		}
	}
	if len(f.reg.Specs()) != 1 {
		t.Fatal("a refused request changed the users")
	}
	if _, err := New(Options{Token: "short"}); err != ErrToken {
		t.Errorf("a short token: %v", err)
	}
}

func TestAPIRoundTripsEveryOperation(t *testing.T) {
	f := newFixture(t, Options{TLSDomain: "example.com"})
	// Create, with a generated secret and sizes as strings.
	code, body := f.call("POST", "/api/v1/users", `{"name":"alice","quota":"50GiB","quota_period":"week","max_ips":2,"rate_limit":"2MiB","expires":"2030-01-02T03:04:05Z","note":"n"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	alice := decode[userJSON](t, body)
	if alice.Name != "alice" || len(alice.Secret) != 32 || alice.Quota != 50<<30 || alice.QuotaPeriod != "week" ||
		alice.MaxIPs != 2 || alice.RateLimit != 2<<20 || alice.Expires == nil || alice.Usage.State != "active" || !alice.Enabled {
		t.Fatalf("created %+v", alice)
	}
	// It is in the file and in force.
	onDisk, err := users.LoadFile(f.path)
	if err != nil || len(onDisk) != 1 || onDisk[0].Name != "alice" {
		t.Fatalf("file holds %+v, %v", onDisk, err)
	}
	// With an explicit secret; a duplicate name or secret is a conflict or refused.
	if code, body := f.call("POST", "/api/v1/users", `{"name":"bob","secret":"00112233445566778899aabbccddeeff"}`); code != http.StatusCreated {
		t.Fatalf("create bob: %d %s", code, body)
	}
	if code, _ := f.call("POST", "/api/v1/users", `{"name":"bob"}`); code != http.StatusConflict {
		t.Errorf("duplicate name: %d", code)
	}
	if code, _ := f.call("POST", "/api/v1/users", `{"name":"carol","secret":"00112233445566778899aabbccddeeff"}`); code != http.StatusBadRequest {
		t.Errorf("duplicate secret: %d", code)
	}
	for _, bad := range []string{`{"name":"Bad Name"}`, `{"name":"x","quota":"lots"}`, `{"name":"x","colour":"red"}`, `[1]`, `{"name":"x","expires":"soon"}`} {
		if code, body := f.call("POST", "/api/v1/users", bad); code != http.StatusBadRequest {
			t.Errorf("create %s: %d %s", bad, code, body)
		}
	}
	// List and get.
	code, body = f.call("GET", "/api/v1/users", "")
	list := decode[struct{ Users []userJSON }](t, body)
	if code != 200 || len(list.Users) != 3 || list.Users[0].Name != "env" || !list.Users[0].Static {
		t.Fatalf("list: %d %+v", code, list)
	}
	if code, body := f.call("GET", "/api/v1/users/alice", ""); code != 200 || decode[userJSON](t, body).Secret != alice.Secret {
		t.Fatalf("get: %d %s", code, body)
	}
	if code, _ := f.call("GET", "/api/v1/users/nobody", ""); code != http.StatusNotFound {
		t.Errorf("get a missing user: %d", code)
	}
	// Patch: disable, clear expiry, quota as a number.
	code, body = f.call("PATCH", "/api/v1/users/alice", `{"enabled":false,"expires":null,"quota":1000}`)
	p := decode[userJSON](t, body)
	if code != 200 || p.Enabled || p.Expires != nil || p.Quota != 1000 || p.Usage.State != "disabled" || p.MaxIPs != 2 {
		t.Fatalf("patch: %d %+v", code, p)
	}
	if code, _ := f.call("PATCH", "/api/v1/users/alice", `{"name":"other"}`); code != http.StatusBadRequest {
		t.Errorf("renaming by patch: %d", code)
	}
	if code, _ := f.call("PATCH", "/api/v1/users/env", `{"enabled":false}`); code != http.StatusConflict {
		t.Errorf("patching a static user: %d", code)
	}
	// Rotate: a new secret, in the file and in force; the old key is gone.
	code, body = f.call("POST", "/api/v1/users/alice/rotate", "")
	rot := decode[userJSON](t, body)
	if code != 200 || rot.Secret == alice.Secret || len(rot.Secret) != 32 {
		t.Fatalf("rotate: %d %+v", code, rot)
	}
	onDisk, _ = users.LoadFile(f.path)
	if got := onDisk[0]; got.Name != "alice" || got.Enabled || got.Quota != 1000 {
		t.Fatalf("after rotate the file holds %+v", got)
	}
	// Reset quota.
	if code, body := f.call("POST", "/api/v1/users/alice/reset-quota", ""); code != 200 || decode[userJSON](t, body).Usage.Used != 0 {
		t.Fatalf("reset-quota: %d %s", code, body)
	}
	// Links: every form, with the new secret.
	code, body = f.call("GET", "/api/v1/users/alice/links", "")
	ls := decode[struct {
		Name  string
		Links []linkJSON
	}](t, body)
	if code != 200 || len(ls.Links) != 3 {
		t.Fatalf("links: %d %s", code, body)
	}
	wantSecret := map[string]string{"plain": rot.Secret, "dd": "dd" + rot.Secret, "ee": "ee" + rot.Secret + "6578616d706c652e636f6d"}
	for _, l := range ls.Links {
		if l.Secret != wantSecret[l.Form] || l.TG != "tg://proxy?server=203.0.113.7&port=443&secret="+l.Secret ||
			l.TMe != "https://t.me/proxy?server=203.0.113.7&port=443&secret="+l.Secret {
			t.Errorf("link %+v", l)
		}
	}
	// QR: decodes to the link of the form asked for (default ee with FakeTLS).
	for form, want := range map[string]string{"": ls.Links[2].TG, "?form=dd": ls.Links[1].TG, "?form=plain&kind=tme": ls.Links[0].TMe} {
		code, svg := f.call("GET", "/api/v1/users/alice/qr.svg"+form, "")
		if code != 200 || !strings.HasPrefix(svg, "<svg") {
			t.Fatalf("qr %s: %d %.80s", form, code, svg)
		}
		if got := decodeSVG(t, svg); got != want {
			t.Errorf("qr %s decodes to %q, want %q", form, got, want)
		}
	}
	if code, _ := f.call("GET", "/api/v1/users/alice/qr.svg?form=xx", ""); code != http.StatusBadRequest {
		t.Errorf("qr of an unknown form: %d", code)
	}
	// Delete.
	if code, _ := f.call("DELETE", "/api/v1/users/alice", ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := f.call("DELETE", "/api/v1/users/alice", ""); code != http.StatusNotFound {
		t.Errorf("delete twice: %d", code)
	}
	if code, _ := f.call("DELETE", "/api/v1/users/env", ""); code != http.StatusConflict {
		t.Errorf("delete a static user: %d", code)
	}
	onDisk, _ = users.LoadFile(f.path)
	if len(onDisk) != 1 || onDisk[0].Name != "bob" {
		t.Fatalf("after delete the file holds %+v", onDisk)
	}
	// Survives a restart: a new manager on the same file has the same users.
	reg := users.New(users.Options{})
	if err := users.NewManager(reg, f.path, nil, nil).Load(); err != nil || len(reg.Specs()) != 1 || reg.Specs()[0].Name != "bob" {
		t.Fatalf("after a restart: %+v, %v", reg.Specs(), err)
	}
}

func TestTLSOnlyLinksAreFakeTLSOnly(t *testing.T) {
	f := newFixture(t, Options{TLSDomain: "example.com", TLSOnly: true})
	_, body := f.call("GET", "/api/v1/users/env/links", "")
	ls := decode[struct{ Links []linkJSON }](t, body)
	if len(ls.Links) != 1 || ls.Links[0].Form != "ee" {
		t.Fatalf("links %+v", ls.Links)
	}
}

// A read-only manager (a fleet) turns every edit into 409 with the
// reason; reading users and resetting a quota still work.
func TestAPIReadOnlyManager(t *testing.T) {
	f := newFixture(t, Options{})
	if code, body := f.call("POST", "/api/v1/users", `{"name":"bob"}`); code != http.StatusCreated {
		t.Fatalf("create before read-only: %d %s", code, body)
	}
	f.mgr.SetReadOnly("edit the fleet's users file")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/users", `{"name":"carol"}`},
		{"PATCH", "/api/v1/users/bob", `{"enabled":false}`},
		{"POST", "/api/v1/users/bob/rotate", ""},
		{"DELETE", "/api/v1/users/bob", ""},
	} {
		code, body := f.call(c.method, c.path, c.body)
		if code != http.StatusConflict || !strings.Contains(body, "edit the fleet's users file") {
			t.Errorf("%s %s: %d %s, want 409 with the reason", c.method, c.path, code, body)
		}
	}
	if code, _ := f.call("GET", "/api/v1/users/bob", ""); code != http.StatusOK {
		t.Errorf("reading a user: %d", code)
	}
	if code, _ := f.call("POST", "/api/v1/users/bob/reset-quota", ""); code != http.StatusOK {
		t.Errorf("reset-quota: %d", code)
	}
}
