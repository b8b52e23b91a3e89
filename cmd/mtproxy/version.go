package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and revision are set at build time:
// -ldflags "-X main.version=1.2.3 -X main.revision=0123abcd". Without a
// revision the VCS stamp of the build is used, when there is one.
var version = "dev"

var revision = ""

// buildInfo describes this binary.
type buildInfo struct {
	Version, Revision, GoVersion string
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Revision: "unknown", GoVersion: runtime.Version()}
	if revision != "" {
		b.Revision = revision
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 && revision == "" {
				b.Revision = s.Value[:12]
			}
		}
		if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
	}
	return b
}

func versionString() string {
	b := currentBuild()
	return fmt.Sprintf("mtproxy %s (revision %s, %s)", b.Version, b.Revision, b.GoVersion)
}
