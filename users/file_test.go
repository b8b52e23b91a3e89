package users

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const sampleFile = `
[[user]]
name = "alice"
secret = "0123456789abcdef0123456789abcdef"
max_connections = 10
max_ips = 3
quota = "50GiB"
quota_period = "month"
expires = 2030-01-01T00:00:00Z
rate_limit = "2MiB"
tag = "ABCDEF0123456789ABCDEF0123456789"
note = "family"

[[user]]
name = "bob.2"
secret = "fedcba9876543210fedcba9876543210"
enabled = false
quota = 1048576
quota_period = "total"
expires = "2029-06-30T12:00:00+02:00"
`

func TestParseFile(t *testing.T) {
	specs, err := ParseFile([]byte(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 {
		t.Fatalf("%d users", len(specs))
	}
	a, b := specs[0], specs[1]
	if a.Name != "alice" || !a.Enabled || a.MaxConnections != 10 || a.MaxIPs != 3 || a.Quota != 50<<30 ||
		a.QuotaPeriod != Month || a.RateLimit != 2<<20 || a.Tag != "abcdef0123456789abcdef0123456789" ||
		a.Note != "family" || !a.Expires.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || a.Key[0] != 0x01 {
		t.Errorf("alice = %+v", a)
	}
	if b.Enabled || b.Quota != 1<<20 || b.QuotaPeriod != Total || !b.Expires.Equal(time.Date(2029, 6, 30, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("bob = %+v", b)
	}
}

func TestParseFileRefusesWithAClearReason(t *testing.T) {
	const s1 = `secret = "0123456789abcdef0123456789abcdef"`
	const s2 = `secret = "00000000000000000000000000000001"`
	cases := map[string]string{
		"[[user]]\nname = \"Alice\"\n" + s1:                                       `name "Alice"`,
		"[[user]]\nname = \"a\"\nsecret = \"0123\"":                               "32 hex digits",
		"[[user]]\nname = \"a\"\nsecret = \"dd0123456789abcdef0123456789abcdef\"": "32 hex digits",
		"[[user]]\nname = \"a\"\n" + s1 + "\nquota = \"5 gigs\"":                  "unknown unit",
		"[[user]]\nname = \"a\"\n" + s1 + "\nquota = -5":                          "negative",
		"[[user]]\nname = \"a\"\n" + s1 + "\nquota_period = \"year\"":             "day, week, month or total",
		"[[user]]\nname = \"a\"\n" + s1 + "\nexpires = \"tomorrow\"":              "RFC 3339",
		"[[user]]\nname = \"a\"\n" + s1 + "\nexpires = 2030-01-01T00:00:00":       "offset",
		"[[user]]\nname = \"a\"\n" + s1 + "\nmax_conections = 3":                  "unknown keys: user.max_conections",
		"[[user]]\nname = \"a\"\n" + s1 + "\nmax_ips = -1":                        "0 (unlimited) or more",
		"[[user]]\nname = \"a\"\n" + s1 + "\n[[user]]\nname = \"a\"\n" + s2:       `name "a" is used by users #1 and #2`,
		"[[user]]\nname = \"a\"\n" + s1 + "\n[[user]]\nname = \"b\"\n" + s1:       `its secret is also user "a"'s`,
		"[[user]]\nname = \"a\"\n" + s1 + "\nenabled = \"yes\"":                   "enabled",
		"[[user]\nname = \"a\"":                                                   "line 2: expected end of table array",
	}
	for in, want := range cases {
		_, err := ParseFile([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("file:\n%s\nerror %v, want one containing %q", in, err, want)
		}
	}
}

func TestEncodeFileRoundTrips(t *testing.T) {
	specs, err := ParseFile([]byte(sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	specs = append(specs, Spec{Name: "env", Key: [16]byte{1}, Enabled: true, Static: true})
	path := filepath.Join(t.TempDir(), "users.toml")
	if err := WriteFile(path, specs); err != nil {
		t.Fatal(err)
	}
	back, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 {
		t.Fatalf("%d users back, want the 2 from the file (the static one is not written)", len(back))
	}
	for i := range back {
		want := specs[i]
		want.Expires = want.Expires.UTC()
		back[i].Expires = back[i].Expires.UTC()
		if back[i] != want {
			t.Errorf("user %d:\n got %+v\nwant %+v", i, back[i], want)
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseTenThousandUsers(t *testing.T) {
	specs := make([]Spec, 10_000)
	for i := range specs {
		specs[i] = Spec{Name: "user" + strconv.Itoa(i), Key: [16]byte{byte(i), byte(i >> 8), 1}, Enabled: true}
	}
	data, err := EncodeFile(specs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseFile(data)
	if err != nil || len(back) != len(specs) {
		t.Fatalf("%d users back, %v", len(back), err)
	}
}
