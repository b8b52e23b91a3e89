package packagingtest

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// buildOut is where the Dockerfile's build stage puts its results.
const buildOut = "/out"

// testVersion is passed as --build-arg VERSION.
const testVersion = "v0.0.0-packagingtest"

// replayBuildStage runs the build stage of the Dockerfile outside Docker:
// the context is the files .dockerignore lets through, WORKDIR is that
// copy, COPY from the context is checked against it, and every RUN script
// is run by sh with the stage's ARGs in its environment (TARGETOS and
// TARGETARCH of this machine, VERSION=testVersion) and /out moved to a
// temporary directory. It returns that directory.
func replayBuildStage(t *testing.T, d dockerfile) string {
	t.Helper()
	ctxDir, out := materializeContext(t), t.TempDir()
	args := map[string]string{"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH, "VERSION": testVersion}
	workdirs := 0
	for _, c := range d.stage(t, "build").Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				if _, set := args[kv.Key]; !set && kv.Value != nil {
					args[kv.Key] = *kv.Value
				}
			}
		case *instructions.WorkdirCommand:
			if workdirs++; workdirs > 1 {
				t.Fatalf("replay supports one WORKDIR, the build stage has more")
			}
		case *instructions.CopyCommand:
			for _, src := range c.SourcePaths {
				if _, err := os.Stat(filepath.Join(ctxDir, filepath.FromSlash(src))); err != nil {
					t.Fatalf("COPY %s: not in the build context: %v", src, err)
				}
			}
		case *instructions.RunCommand:
			script := strings.ReplaceAll(strings.Join(c.CmdLine, " "), buildOut, filepath.Join(out, "out"))
			cmd := exec.Command("sh", "-c", script)
			cmd.Dir = ctxDir
			cmd.Env = os.Environ()
			for k, v := range args {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("RUN %s: %v\n%s", script, err, b)
			}
		default:
			t.Fatalf("replay does not know %s in the build stage", c.Name())
		}
	}
	return filepath.Join(out, "out")
}

// imageFile maps a path the final stage copies from the build stage to
// the replayed build's output.
func imageFile(t *testing.T, d dockerfile, out, imagePath string) string {
	t.Helper()
	for _, c := range commands[*instructions.CopyCommand](d.final()) {
		if c.From == "build" && c.DestPath == imagePath && len(c.SourcePaths) == 1 {
			rel, ok := strings.CutPrefix(c.SourcePaths[0], buildOut+"/")
			if !ok {
				t.Fatalf("COPY --from=build %s: not under %s", c.SourcePaths[0], buildOut)
			}
			return filepath.Join(out, rel)
		}
	}
	t.Fatalf("the image gets no %s from the build stage", imagePath)
	return ""
}

// TestDockerBuildReplay builds the binary as the Dockerfile does and checks
// what the image will contain: a static binary stamped with VERSION, a
// /data directory, and built-in defaults equal to the image's ENV.
func TestDockerBuildReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	d := parseDockerfile(t)
	out := replayBuildStage(t, d)
	bin := imageFile(t, d, out, "/mtproxy")
	if st, err := os.Stat(imageFile(t, d, out, "/data")); err != nil || !st.IsDir() {
		t.Errorf("/data: want a directory from the build stage: %v", err)
	}
	if st, err := os.Stat(imageFile(t, d, out, "/LICENSE")); err != nil || st.Size() == 0 {
		t.Errorf("/LICENSE: want the licence text from the build stage: %v", err)
	}

	t.Run("static", func(t *testing.T) {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary has an ELF interpreter: it is not static and will not run in a distroless static image")
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary links %v", libs)
		}
	})

	t.Run("version", func(t *testing.T) {
		b, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("mtproxy version: %v\n%s", err, b)
		}
		if !bytes.Contains(b, []byte(testVersion)) {
			t.Errorf("mtproxy version = %q, want it to show VERSION %s", b, testVersion)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		defaults := binaryDefaults(t, bin)
		for k, v := range imageEnv(t, d) {
			if got, ok := defaults[k]; !ok || got != v {
				t.Errorf("ENV %s=%s, but the binary's default is %q (mtproxy --help)", k, v, got)
			}
		}
	})

	t.Run("healthcheck", func(t *testing.T) { testImageHealthcheck(t, d, bin) })
}

// helpDefault matches a setting line of `mtproxy --help`.
var helpDefault = regexp.MustCompile(`^  ([A-Z][A-Z0-9_]*)\s+--[a-z0-9-]+\s.*\(default (.*)\)$`)

// binaryDefaults returns the built-in default of every setting, as
// `mtproxy --help` prints them.
func binaryDefaults(t *testing.T, bin string) map[string]string {
	t.Helper()
	cmd := exec.Command(bin, "--help")
	cmd.Env = []string{} // the defaults, not this machine's settings
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("mtproxy --help: %v", err)
	}
	defaults := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := helpDefault.FindStringSubmatch(line); m != nil {
			defaults[m[1]] = m[2]
		}
	}
	if len(defaults) < 10 {
		t.Fatalf("found %d defaults in mtproxy --help:\n%s", len(defaults), b)
	}
	return defaults
}
