package packagingtest

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// dockerignore matches paths the way the Docker build context does.
type dockerignore struct {
	pm *patternmatcher.PatternMatcher
}

func readDockerignore(t *testing.T) dockerignore {
	t.Helper()
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readRepoFile(t, ".dockerignore")))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return dockerignore{pm: pm}
}

// excluded reports whether the slash path rel stays out of the context.
func (d dockerignore) excluded(t *testing.T, rel string) bool {
	t.Helper()
	ex, err := d.pm.MatchesOrParentMatches(filepath.FromSlash(rel))
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// materializeContext copies the files of the repository that .dockerignore
// lets into the build context to a new directory, and returns it.
func materializeContext(t *testing.T) string {
	t.Helper()
	root, ignore, dst := repoRoot(t), readDockerignore(t), t.TempDir()
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		if e.IsDir() {
			if rel == ".git" {
				return filepath.SkipDir // always excluded; skipping it saves the walk
			}
			return nil
		}
		if !e.Type().IsRegular() || ignore.excluded(t, filepath.ToSlash(rel)) {
			return nil
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// buildInputs lists, as slash paths from the root, the files go build reads
// for ./cmd/mtproxy: go.mod, go.sum and the Go and embedded files of every
// package of this module it imports.
func buildInputs(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", "./cmd/mtproxy")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	files := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			Dir                 string
			Module              *struct{ Path string }
			GoFiles, EmbedFiles []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || p.Module.Path != "github.com/mtproxy/mtproxy" {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(files) < 20 {
		t.Fatalf("go list found only %d build inputs", len(files))
	}
	return files
}

func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	ignore := readDockerignore(t)
	for _, f := range buildInputs(t) {
		if ignore.excluded(t, f) {
			t.Errorf(".dockerignore excludes %s, which go build ./cmd/mtproxy needs", f)
		}
	}
}

func TestDockerignoreKeepsOutNoise(t *testing.T) {
	ignore := readDockerignore(t)
	for _, f := range []string{
		".git/HEAD", "deploy/go.mod", "dashboards/mtproxy-overview.json", "docker-compose.yml",
		"cmd/mtproxy/mtproxy", "proxy/faketls/faketls_test.go", "proxy/faketls/testdata/fuzz/x",
		"rpc.test", ".notes/x", "testkit/fakedc/fakedc.go", "e2e/e2e_test.go",
	} {
		if !ignore.excluded(t, f) {
			t.Errorf(".dockerignore lets %s into the build context", f)
		}
	}
	if strings.Contains(string(readRepoFile(t, ".dockerignore")), "!.git") {
		t.Error(".dockerignore lets .git in")
	}
}
