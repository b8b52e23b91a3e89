package config

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretFilePersistsAndIsReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "secret")
	vars := map[string]string{"SECRET_FILE": path, "SECRET_COUNT": "2"}

	c1, w := mustLoad(t, vars)
	if len(w) != 0 || c1.SecretSource != SecretsGenerated || !c1.SecretFileSaved || len(c1.Secrets) != 2 {
		t.Fatalf("first start: source %s saved %v secrets %d warnings %q", c1.SecretSource, c1.SecretFileSaved, len(c1.Secrets), w)
	}
	// The counter source gives 00..0f then 10..1f.
	const want = "000102030405060708090a0b0c0d0e0f,101112131415161718191a1b1c1d1e1f"
	if got := string(readFile(t, path)); got != want {
		t.Errorf("file holds %q, want %q", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the secret file (no temporary left)", len(entries))
	}

	// Second start, another randomness: the saved secrets come back.
	env(t, vars)
	c2, w, err := Load(nil, strings.NewReader(strings.Repeat("z", 64)))
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 0 || c2.SecretSource != SecretsFromFile || c2.SecretFileSaved {
		t.Errorf("second start: source %s saved %v warnings %q", c2.SecretSource, c2.SecretFileSaved, w)
	}
	if len(c2.Secrets) != 2 || c2.Secrets[0].Key != c1.Secrets[0].Key || c2.Secrets[1].Key != c1.Secrets[1].Key {
		t.Errorf("secrets changed across restarts")
	}
	// SECRET overrides the file and does not rewrite it.
	c3, _ := mustLoad(t, map[string]string{"SECRET_FILE": path, "SECRET": "ffffffffffffffffffffffffffffffff"})
	if c3.SecretSource != SecretsFromEnv || string(readFile(t, path)) != want {
		t.Errorf("explicit SECRET: source %s, file now %q", c3.SecretSource, readFile(t, path))
	}
}

func TestSecretFileLenientFormats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	body := "  DD00BAADF00D15ABAD1DEAA515BAADCAFE\n\n 3f40462915a3e6026a4d790127b95ded ,\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := mustLoad(t, map[string]string{"SECRET_FILE": path, "SECRET_NAMES": "a,b"})
	if len(c.Secrets) != 2 || hex.EncodeToString(c.Secrets[0].Key[:]) != "00baadf00d15abad1deaa515baadcafe" || c.Secrets[1].Name != "b" {
		t.Errorf("got %+v", c.Secrets)
	}
}

func TestSecretFileCorruptIsFatal(t *testing.T) {
	const secretish = "0123456789abcdef0123456789abcde"
	cases := map[string]string{
		"empty":         "",
		"blank":         " \n",
		"short":         secretish,
		"not hex":       secretish + "x",
		"duplicate":     secretish + "f," + secretish + "f",
		"17 secrets":    strings.Repeat(secretish+"f\n", 17),
		"huge":          strings.Repeat("0", 5000),
		"random binary": "\x00\xff\x10garbage",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			e := mustFail(t, map[string]string{"SECRET_FILE": path}, nil, "SECRET_FILE", ErrSecretFile, secretish)
			if !strings.Contains(e.Error(), path) {
				t.Errorf("error %q does not name the file", e)
			}
			if got, _ := os.ReadFile(path); string(got) != body {
				t.Error("the corrupt file was changed")
			}
		})
	}
}

func TestSecretFileUnwritableIsAWarning(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(blocker, "secret") // its directory is a file
	c, w := mustLoad(t, map[string]string{"SECRET_FILE": path})
	if c.SecretSource != SecretsGenerated || c.SecretFileSaved || len(c.Secrets) != 1 {
		t.Errorf("source %s saved %v", c.SecretSource, c.SecretFileSaved)
	}
	if !hasWarning(w, "cannot be written") || !hasWarning(w, "will change on restart") || !hasWarning(w, path) {
		t.Errorf("warnings %q", w)
	}
	for _, x := range w {
		if strings.Contains(string(x), "000102030405") {
			t.Errorf("warning %q shows the secret", x)
		}
	}
}

func TestSecretFileUnreadableIsAWarningAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.Mkdir(path, 0o700); err != nil { // reading a directory fails, even as root
		t.Fatal(err)
	}
	c, w := mustLoad(t, map[string]string{"SECRET_FILE": path})
	if c.SecretSource != SecretsGenerated || c.SecretFileSaved || !hasWarning(w, "cannot be read") {
		t.Errorf("source %s saved %v warnings %q", c.SecretSource, c.SecretFileSaved, w)
	}
	if info, err := os.Stat(path); err != nil || !info.IsDir() {
		t.Error("the unreadable path was replaced")
	}
}

func TestGenerateFailsWithBrokenRand(t *testing.T) {
	env(t, nil)
	_, _, err := Load(nil, strings.NewReader("short"))
	if err == nil || errors.As(err, new(*Error)) {
		t.Errorf("err = %v, want a plain randomness error", err)
	}
}
