package packagingtest

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dockerfile is the parsed Dockerfile.
type dockerfile struct {
	metaArgs []instructions.ArgCommand
	stages   []instructions.Stage
}

// parseDockerfile parses the repository's Dockerfile with BuildKit's parser
// and instruction parser, failing on any parser or lint warning.
func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readRepoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: parser warning: %s (line %d)", w.Short, w.Location.Start.Line)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		t.Errorf("Dockerfile: lint %s: %s (line %d)", rule, msg, line)
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatal(err)
	}
	return dockerfile{metaArgs: metaArgs, stages: stages}
}

// metaArg returns the default of a global ARG.
func (d dockerfile) metaArg(t *testing.T, name string) string {
	t.Helper()
	for _, a := range d.metaArgs {
		for _, kv := range a.Args {
			if kv.Key == name && kv.Value != nil {
				return *kv.Value
			}
		}
	}
	t.Fatalf("Dockerfile: no global ARG %s with a default", name)
	return ""
}

// stage returns the stage named name.
func (d dockerfile) stage(t *testing.T, name string) instructions.Stage {
	t.Helper()
	for _, s := range d.stages {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("Dockerfile: no stage %q", name)
	return instructions.Stage{}
}

// final is the last stage: the image.
func (d dockerfile) final() instructions.Stage { return d.stages[len(d.stages)-1] }

// commands returns the commands of type C in a stage.
func commands[C instructions.Command](s instructions.Stage) []C {
	var out []C
	for _, c := range s.Commands {
		if typed, ok := c.(C); ok {
			out = append(out, typed)
		}
	}
	return out
}

// one returns the only command of type C in a stage.
func one[C instructions.Command](t *testing.T, s instructions.Stage) C {
	t.Helper()
	cs := commands[C](s)
	if len(cs) != 1 {
		var zero C
		t.Fatalf("Dockerfile: stage %q has %d %T instructions, want 1", s.Name, len(cs), zero)
	}
	return cs[0]
}

func TestDockerfileStages(t *testing.T) {
	d := parseDockerfile(t)
	if len(d.stages) != 2 {
		t.Fatalf("Dockerfile has %d stages, want 2 (build, image)", len(d.stages))
	}
	build := d.stage(t, "build")
	goVersion := d.metaArg(t, "GO_VERSION")
	if got, want := strings.ReplaceAll(build.BaseName, "${GO_VERSION}", goVersion), "golang:"+goVersion; got != want {
		t.Errorf("build stage FROM %s, want %s", got, want)
	}
	// The builder's Go must satisfy go.mod's go line (major.minor).
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	if string(m[1]) != goVersion {
		t.Errorf("GO_VERSION %s, go.mod says go %s", goVersion, m[1])
	}
	final := d.final()
	if final.BaseName != "gcr.io/distroless/static-debian13:nonroot" && final.BaseName != "scratch" {
		t.Errorf("final stage FROM %s, want distroless static nonroot or scratch", final.BaseName)
	}
	if len(commands[*instructions.RunCommand](final)) != 0 {
		t.Error("final stage has RUN: the image has no shell")
	}
}

func TestDockerfileBuildStep(t *testing.T) {
	d := parseDockerfile(t)
	build := d.stage(t, "build")
	var goBuild string
	for _, r := range commands[*instructions.RunCommand](build) {
		if line := strings.Join(r.CmdLine, " "); strings.Contains(line, "go build") {
			goBuild = line
		}
	}
	if goBuild == "" {
		t.Fatal("build stage has no RUN with go build")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/mtproxy", "-o /out/mtproxy"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("go build step lacks %q: %s", want, goBuild)
		}
	}
	declared := false
	for _, a := range commands[*instructions.ArgCommand](build) {
		for _, kv := range a.Args {
			declared = declared || kv.Key == "VERSION"
		}
	}
	if !declared {
		t.Error("build stage does not declare ARG VERSION")
	}
	// -X main.version only works while the binary keeps that variable.
	src := readRepoFile(t, "cmd/mtproxy/version.go")
	if !regexp.MustCompile(`(?m)^package main$`).Match(src) || !regexp.MustCompile(`(?m)^var version = "`).Match(src) {
		t.Error(`cmd/mtproxy/version.go no longer has "var version" in package main: fix -ldflags -X main.version`)
	}
}

func TestDockerfileImage(t *testing.T) {
	d := parseDockerfile(t)
	final := d.final()

	users := commands[*instructions.UserCommand](final)
	if len(users) == 0 {
		t.Fatal("final stage has no USER")
	}
	user := users[len(users)-1].User
	uid, gid, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %s: want a numeric non-root uid (runAsNonRoot can only verify numbers)", user)
	}

	if got := one[*instructions.VolumeCommand](t, final).Volumes; !slices.Equal(got, []string{"/data"}) {
		t.Errorf("VOLUME %v, want [/data]", got)
	}
	dataOwned := false
	for _, c := range commands[*instructions.CopyCommand](final) {
		if c.DestPath == "/data" {
			dataOwned = c.Chown == uid+":"+gid || c.Chown == uid
		}
	}
	if !dataOwned {
		t.Errorf("/data is not copied in with --chown=%s: the volume would be root's", user)
	}

	var ports []string
	for _, e := range commands[*instructions.ExposeCommand](final) {
		ports = append(ports, e.Ports...)
	}
	slices.Sort(ports)
	if want := []string{strconv.Itoa(internalPort), strconv.Itoa(clientPort)}; !slices.Equal(ports, want) {
		t.Errorf("EXPOSE %v, want %v", ports, want)
	}

	hc := one[*instructions.HealthCheckCommand](t, final).Health
	if want := []string{"CMD", "/mtproxy", "healthcheck"}; !slices.Equal(hc.Test, want) {
		t.Errorf("HEALTHCHECK %q, want %q", hc.Test, want)
	}
	// `mtproxy healthcheck` gives up after 3 s (cmd/mtproxy/healthcheck.go).
	if hc.Timeout <= 3*time.Second || hc.Interval < hc.Timeout || hc.StartPeriod <= 0 {
		t.Errorf("HEALTHCHECK timing interval=%v timeout=%v start=%v: want timeout > 3s, interval >= timeout, a start period", hc.Interval, hc.Timeout, hc.StartPeriod)
	}

	ep := one[*instructions.EntrypointCommand](t, final)
	if ep.PrependShell || !slices.Equal(ep.CmdLine, []string{"/mtproxy"}) {
		t.Errorf("ENTRYPOINT %q (shell form %v), want exec form [/mtproxy]", ep.CmdLine, ep.PrependShell)
	}
	if len(commands[*instructions.CmdCommand](final)) != 0 {
		t.Error("final stage has CMD: docker run arguments must reach the binary as flags")
	}
}

// imageEnv returns the final stage's ENV.
func imageEnv(t *testing.T, d dockerfile) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range commands[*instructions.EnvCommand](d.final()) {
		for _, kv := range e.Env {
			env[kv.Key] = kv.Value
		}
	}
	return env
}

func TestDockerfileEnvIsTheSeeds(t *testing.T) {
	env := imageEnv(t, parseDockerfile(t))
	checkKnownEnv(t, "Dockerfile ENV", sortedKeys(env))
	seed := seedDefaults()
	for _, k := range sortedKeys(seed) {
		if got, ok := env[k]; !ok || got != seed[k] {
			t.Errorf("ENV %s=%q, the seed's default is %q", k, got, seed[k])
		}
	}
	for _, k := range sortedKeys(env) {
		if _, ok := seed[k]; !ok {
			t.Errorf("ENV %s is not one of the seed's documented defaults", k)
		}
	}
}

func TestDockerfileCopySources(t *testing.T) {
	d := parseDockerfile(t)
	root := repoRoot(t)
	ignore := readDockerignore(t)
	runText := map[string]string{}
	for _, s := range d.stages {
		for _, r := range commands[*instructions.RunCommand](s) {
			runText[s.Name] += strings.Join(r.CmdLine, " ") + "\n"
		}
	}
	for _, s := range d.stages {
		for _, c := range commands[*instructions.CopyCommand](s) {
			for _, src := range c.SourcePaths {
				if c.From != "" {
					// Produced by the stage it comes from.
					if !strings.Contains(runText[c.From], strings.TrimSuffix(src, "/")) {
						t.Errorf("COPY --from=%s %s: no RUN of stage %s mentions it", c.From, src, c.From)
					}
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(src))); err != nil {
					t.Errorf("COPY %s: %v", src, err)
				}
				if src != "." && ignore.excluded(t, src) {
					t.Errorf("COPY %s: excluded by .dockerignore", src)
				}
			}
		}
	}
}
