package doctor

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfigSummary(t *testing.T) {
	e := baseEnv(t)
	e["SECRET"] = testSecret + ",00112233445566778899aabbccddeeff"
	e["TLS_DOMAIN"] = "www.example.com"
	e["TLS_ONLY"] = "true"
	s := newTestSession(t, e, testOptions(t))
	r := s.checkConfig(context.Background())
	want(t, r, OK, "mode auto (middle proxies, direct while they are down for 30s)", "2 secrets from SECRET", "FakeTLS www.example.com only", "PORT "+e["PORT"])
	if strings.Contains(r.Detail, testSecret) {
		t.Errorf("the config line shows a secret: %s", r.Detail)
	}
}

func TestCheckConfigWarnings(t *testing.T) {
	e := baseEnv(t)
	e["ARGS"] = "-u nobody" // ignored, with a warning
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkConfig(context.Background()), Warn, "-u: ignored")
}

// Where the proxy would generate secrets and save them, doctor says so
// and writes nothing.
func TestCheckConfigNoSecretWritesNothing(t *testing.T) {
	e := baseEnv(t)
	delete(e, "SECRET")
	e["SECRET_COUNT"] = "3"
	e["SECRET_NAMES"] = "alice,bob"
	rep := diagnose(t, e, testOptions(t))
	want(t, outcome(t, rep, "config").Result, OK, "no secret yet (3 to be generated into SECRET_FILE "+e["SECRET_FILE"])
	want(t, outcome(t, rep, "links").Result, Skip, "no secret yet")
	if _, err := os.Stat(e["SECRET_FILE"]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("SECRET_FILE was touched: %v", err)
	}
}

// More names than the secrets to be generated fails as it would in the
// proxy, although doctor loads with placeholder secrets.
func TestCheckConfigNoSecretTooManyNames(t *testing.T) {
	e := baseEnv(t)
	delete(e, "SECRET")
	e["SECRET_COUNT"] = "1"
	e["SECRET_NAMES"] = "alice,bob"
	rep := diagnose(t, e, testOptions(t))
	if len(rep.Outcomes) != 1 {
		t.Fatalf("want the config check alone, got %d checks", len(rep.Outcomes))
	}
	want(t, rep.Outcomes[0].Result, Fail, "does not load", "SECRET_NAMES", "2 names for 1 secrets")
}

func TestCheckConfigUnreadableSecretFile(t *testing.T) {
	e := baseEnv(t)
	delete(e, "SECRET")
	e["SECRET_FILE"] = filepath.Join(t.TempDir(), "file", "secret") // a path through a file
	if err := os.WriteFile(filepath.Dir(e["SECRET_FILE"]), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := newTestSession(t, e, testOptions(t))
	want(t, s.checkConfig(context.Background()), Warn, "cannot be read", "new secrets at every start")
}

func TestDiagnoseBadConfig(t *testing.T) {
	e := baseEnv(t)
	e["PORT"] = "70000"
	rep := diagnose(t, e, testOptions(t))
	if len(rep.Outcomes) != 1 || !rep.Failed() {
		t.Fatalf("want one failed check, got %+v", rep.Outcomes)
	}
	want(t, rep.Outcomes[0].Result, Fail, "PORT")
}

func TestDiagnoseCorruptSecretFile(t *testing.T) {
	e := baseEnv(t)
	delete(e, "SECRET")
	writeFile(t, e["SECRET_FILE"], []byte("not a secret\n"), 0)
	rep := diagnose(t, e, testOptions(t))
	want(t, outcome(t, rep, "config").Result, Fail, "SECRET_FILE")
}

// An unknown flag on doctor's command line is a usage error; the same
// flag in ARGS is the configuration's, a failed check.
func TestDiagnoseUsage(t *testing.T) {
	e := baseEnv(t)
	e.apply(t)
	if _, err := Diagnose(context.Background(), []string{"--no-such-flag"}, testOptions(t)); !errors.Is(err, ErrUsage) {
		t.Errorf("command line: err %v, want ErrUsage", err)
	}
	e["ARGS"] = "--no-such-flag"
	rep := diagnose(t, e, testOptions(t))
	want(t, outcome(t, rep, "config").Result, Fail, "no-such-flag: is not a known option (in ARGS")
}
