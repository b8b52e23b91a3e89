package packagingtest

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository root: this package lives in
// deploy/internal/packagingtest.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "mtproxy", "main.go")); err != nil {
		t.Fatalf("repository root not found from the test directory: %v", err)
	}
	return root
}

// readRepoFile returns a file of the repository by its slash path.
func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedDefaults are the environment defaults documented by the seed image's
// README (mtproxy/mtproxy): the ones the Dockerfile must set, no more.
//
//	SECRET_FILE       "Defaults to /data/secret"
//	PROXY_SECRET_FILE "Defaults to /data/proxy.secret"
//	PROXY_CONFIG_FILE "Defaults to /data/proxy.conf"
//	PORT              "Defaults to 443"
//	INTERNAL_PORT     "Defaults to 2398"
//	WORKERS           "run **one** workers by default"
//	SECRET_COUNT      "No secret passed. Will generate 1 random ones."
func seedDefaults() map[string]string {
	return map[string]string{
		"SECRET_FILE":       "/data/secret",
		"PROXY_SECRET_FILE": "/data/proxy.secret",
		"PROXY_CONFIG_FILE": "/data/proxy.conf",
		"PORT":              "443",
		"INTERNAL_PORT":     "2398",
		"WORKERS":           "1",
		"SECRET_COUNT":      "1",
	}
}

// The proxy's fixed ports, as the seed.
const (
	clientPort   = 443
	internalPort = 2398
)

// goRuntimeEnv are the Go runtime's own variables, which deployments may set
// (GOMEMLIMIT from a memory limit, for instance).
func goRuntimeEnv() []string {
	return []string{"GOMEMLIMIT", "GOMAXPROCS", "GOGC", "GODEBUG", "GOTRACEBACK"}
}

// configEnv returns the variables the binary's config package reads: the
// envconfig tags of its settings struct, read from the source with go/ast.
func configEnv(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "cmd", "mtproxy", "internal", "config")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var names []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			field, ok := n.(*ast.Field)
			if !ok || field.Tag == nil {
				return true
			}
			tag, err := strconv.Unquote(field.Tag.Value)
			if err != nil {
				t.Fatalf("%s: tag %s: %v", fset.Position(field.Pos()), field.Tag.Value, err)
			}
			if name := reflect.StructTag(tag).Get("envconfig"); name != "" {
				names = append(names, name)
			}
			return true
		})
	}
	if len(names) < 10 {
		t.Fatalf("found only %d envconfig tags in %s: has the config package moved?", len(names), dir)
	}
	sort.Strings(names)
	return names
}

// otelEnvLine matches a variable in the table of tracing/doc.go, which
// lists the OTEL_* variables tracing.Setup reads: "//\tOTEL_X ..." with an
// optional "[TRACES_]" infix meaning both forms.
var otelEnvLine = regexp.MustCompile(`^//\t(OTEL_[A-Z_]*(?:\[TRACES_\])?[A-Z_]*)(?:, (OTEL_[A-Z_]+))?(?:\s|$)`)

// tracingEnv returns the OTEL_* variables the tracing package documents as
// read by Setup.
func tracingEnv(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "tracing", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := otelEnvLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		for _, name := range m[1:] {
			if name == "" {
				continue
			}
			if base, rest, ok := strings.Cut(name, "[TRACES_]"); ok {
				names = append(names, base+rest, base+"TRACES_"+rest)
				continue
			}
			names = append(names, name)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) < 5 {
		t.Fatalf("found only %d OTEL_* variables in tracing/doc.go: has its table changed?", len(names))
	}
	return names
}

// knownEnv is every variable a deployment may set for the binary.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	for _, list := range [][]string{configEnv(t), tracingEnv(t), goRuntimeEnv()} {
		for _, name := range list {
			known[name] = true
		}
	}
	return known
}

// checkKnownEnv fails for every name the binary does not read.
func checkKnownEnv(t *testing.T, where string, names []string) {
	t.Helper()
	known := knownEnv(t)
	for _, name := range names {
		if !known[name] {
			t.Errorf("%s sets %s, which the binary does not read (not an envconfig tag in cmd/mtproxy/internal/config, an OTEL_* variable of tracing/doc.go or a Go runtime variable)", where, name)
		}
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// shutdownDrain is the drain a deployment gives the proxy: its
// SHUTDOWN_TIMEOUT if set (set is "" otherwise), else the binary's default
// read from the configuration table in cmd/mtproxy/internal/config.
func shutdownDrain(t *testing.T, set string) time.Duration {
	t.Helper()
	if set == "" {
		m := regexp.MustCompile(`\{"SHUTDOWN_TIMEOUT", "[a-z-]+", "([^"]+)"`).FindSubmatch(readRepoFile(t, "cmd/mtproxy/internal/config/table.go"))
		if m == nil {
			t.Fatal("no SHUTDOWN_TIMEOUT default in cmd/mtproxy/internal/config/table.go")
		}
		set = string(m[1])
	}
	d, err := time.ParseDuration(set)
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT %q: %v", set, err)
	}
	return d
}
