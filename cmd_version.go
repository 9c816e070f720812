package main

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"runtime/debug"
	"strings"
)

// versionCmd prints the version cxloop was built from: the module version
// of `go install`, or the commit of a `go build` in a checkout.
func versionCmd(_ context.Context, e *env) error {
	if err := e.parseNoArgs(flag.NewFlagSet("version", flag.ContinueOnError), e.args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "cxloop "+describeBuild(readBuildInfo()))
	return nil
}

// buildInfo is what the binary knows of its build.
type buildInfo struct {
	version, revision, time, goVersion string
	modified                           bool
}

func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return buildInfo{version: "(unknown)"}
	}
	out := buildInfo{version: bi.Main.Version, goVersion: bi.GoVersion}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.revision = s.Value
		case "vcs.time":
			out.time = s.Value
		case "vcs.modified":
			out.modified = s.Value == "true"
		}
	}
	return out
}

// describeBuild is the version line: "v1.2.0 (go1.26.8)", or
// "(devel) commit 0123abcd, 2026-11-30T10:00:00Z, modified (go1.26.8)".
func describeBuild(b buildInfo) string {
	parts := []string{b.version}
	if b.version == "" {
		parts[0] = "(devel)"
	}
	var details []string
	if b.revision != "" {
		rev := b.revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		details = append(details, "commit "+rev)
	}
	if b.time != "" {
		details = append(details, b.time)
	}
	if b.modified {
		details = append(details, "modified")
	}
	if len(details) > 0 {
		parts = append(parts, strings.Join(details, ", "))
	}
	if b.goVersion != "" {
		parts = append(parts, "("+b.goVersion+")")
	}
	return strings.Join(parts, " ")
}

var semverCore = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)`)

// packageVersion is the Teams app package version of a build: the
// major.minor.patch of its module version, or 1.0.0 for a development
// build (Teams accepts only those three numbers).
func packageVersion(b buildInfo) string {
	m := semverCore.FindStringSubmatch(b.version)
	if m == nil || b.version == "v0.0.0" || strings.HasPrefix(b.version, "v0.0.0-") {
		return "1.0.0"
	}
	return m[1] + "." + m[2] + "." + m[3]
}
