package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/models"
)

// cliEnv is an environment whose database lives in a fresh folder, and
// that folder, to see whether a command touched it.
func cliEnv(t *testing.T, extra map[string]string) (func(string) string, string) {
	dir := t.TempDir()
	vars := map[string]string{"CXLOOP_DATABASE_URL": "sqlite://" + filepath.Join(dir, "cx.db"), "CXLOOP_HTTP_ADDR": "127.0.0.1:0",
		"CXLOOP_PUBLIC_URL": "https://cx.example.com"}
	for k, v := range extra {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }, dir
}

func runCLI(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, getenv, &out, &errb)
	return code, out.String(), errb.String()
}

// invocations is every command, and every sub-command, without its flags.
func invocations() [][]string {
	var out [][]string
	for _, c := range cliCommands() {
		switch c.name {
		case "jobs":
			out = append(out, []string{"jobs"}, []string{"jobs", "sla"})
		case "manifest":
			out = append(out, []string{"manifest"}, []string{"manifest", "slack"}, []string{"manifest", "teams"})
		case "bench":
			out = append(out, []string{"bench"}, []string{"bench", "ingest"})
		default:
			out = append(out, []string{c.name})
		}
	}
	return out
}

func TestEveryCommandHelpDoesNothing(t *testing.T) {
	for _, inv := range invocations() {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string(nil), inv...), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				getenv, dir := cliEnv(t, map[string]string{"CXLOOP_INGEST_TOKEN": "x"})
				wd, _ := os.Getwd()
				code, out, errs := runCLI(t, getenv, args...)
				if code != 0 {
					t.Errorf("exit %d, want 0; stderr: %s", code, errs)
				}
				if !strings.HasPrefix(out, "usage: cxloop "+inv[0]) {
					t.Errorf("stdout does not start with the usage:\n%s", out)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Errorf("--help created %v", entries)
				}
				for _, made := range []string{"cxloop-demo", "cxloop-teams.zip"} {
					if _, err := os.Stat(filepath.Join(wd, made)); err == nil {
						os.RemoveAll(filepath.Join(wd, made))
						t.Errorf("--help made %s", made)
					}
				}
			})
		}
	}
}

func TestUnknownFlagExitsTwoWithUsage(t *testing.T) {
	for _, inv := range invocations() {
		args := append(append([]string(nil), inv...), "--bogus")
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			getenv, dir := cliEnv(t, nil)
			code, _, errs := runCLI(t, getenv, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, errs)
			}
			if !strings.Contains(errs, "usage: cxloop "+inv[0]) {
				t.Errorf("stderr lacks the usage:\n%s", errs)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a bad flag created %v", entries)
			}
		})
	}
}

func TestUsageListsEveryCommand(t *testing.T) {
	code, out, _ := runCLI(t, func(string) string { return "" }, "help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range cliCommands() {
		if !strings.Contains(out, "  cxloop "+c.name) || !strings.Contains(out, c.summary) {
			t.Errorf("usage lacks %s:\n%s", c.name, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, errs := runCLI(t, func(string) string { return "" }, "version")
	if code != 0 || !strings.HasPrefix(out, "cxloop ") || !strings.Contains(out, "go1.") {
		t.Errorf("version: %d %q %q", code, out, errs)
	}
	tests := []struct {
		b          buildInfo
		line, pkgV string
	}{
		{buildInfo{version: "v1.4.2", goVersion: "go1.26.8"}, "v1.4.2 (go1.26.8)", "1.4.2"},
		{buildInfo{version: "v1.5.0-rc.1", goVersion: "go1.26.8"}, "v1.5.0-rc.1 (go1.26.8)", "1.5.0"},
		{buildInfo{version: "(devel)", revision: "0123456789abcdef0123", time: "2026-11-30T10:00:00Z", modified: true, goVersion: "go1.26.8"},
			"(devel) commit 0123456789ab, 2026-11-30T10:00:00Z, modified (go1.26.8)", "1.0.0"},
		{buildInfo{version: "v0.0.0-20261130100000-0123456789ab"}, "v0.0.0-20261130100000-0123456789ab", "1.0.0"},
		{buildInfo{}, "(devel)", "1.0.0"},
	}
	for _, tt := range tests {
		if got := describeBuild(tt.b); got != tt.line {
			t.Errorf("describeBuild(%+v) = %q, want %q", tt.b, got, tt.line)
		}
		if got := packageVersion(tt.b); got != tt.pkgV {
			t.Errorf("packageVersion(%+v) = %q, want %q", tt.b, got, tt.pkgV)
		}
	}
}

func TestDigestFormat(t *testing.T) {
	tests := []struct {
		format, out, want string
		ok                bool
	}{
		{"", "", "md", true},
		{"", "october.html", "html", true},
		{"", "October.HTM", "html", true},
		{"", "october.png", "png", true},
		{"", "october.md", "md", true},
		{"", "october.txt", "md", true},
		{"html", "", "html", true},
		{"markdown", "x.md", "md", true},
		{"png", "october.png", "png", true},
		{"md", "october.html", "", false},
		{"html", "october.png", "", false},
		{"pdf", "", "", false},
	}
	for _, tt := range tests {
		got, err := digestFormat(tt.format, tt.out)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("digestFormat(%q, %q) = %q, %v; want %q ok=%v", tt.format, tt.out, got, err, tt.want, tt.ok)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 rows", 1: "1 row", 2: "2 rows", 12345: "12,345 rows"} {
		if got := plural(n, "row", "rows"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}

// Commands other than serve answer without log lines unless asked for them.
func TestCLILogsAtWarn(t *testing.T) {
	getenv, _ := cliEnv(t, nil)
	code, out, errs := runCLI(t, getenv, "migrate")
	if code != 0 {
		t.Fatalf("migrate: %d %s", code, errs)
	}
	if strings.Contains(errs, "database ready") || strings.Contains(errs, "{") {
		t.Errorf("migrate logged at info:\n%s", errs)
	}
	_ = out
	getenv, _ = cliEnv(t, map[string]string{"CXLOOP_LOG_LEVEL": "info"})
	if _, _, errs := runCLI(t, getenv, "migrate"); !strings.Contains(errs, "database ready") {
		t.Errorf("CXLOOP_LOG_LEVEL=info did not log:\n%s", errs)
	}
	// A level that is none is a configuration error, not a silent default.
	getenv, dir := cliEnv(t, map[string]string{"CXLOOP_LOG_LEVEL": "loud"})
	code, _, errs = runCLI(t, getenv, "migrate")
	if code != 2 || !strings.Contains(errs, `CXLOOP_LOG_LEVEL: "loud" is not a log level`) {
		t.Errorf("CXLOOP_LOG_LEVEL=loud: exit %d, stderr %s", code, errs)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a bad log level still ran the command: %v", entries)
	}
}

// jobs sla --now T decides as of T and queues what it finds for now.
func TestJobsSLANowQueuesForNow(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "cxloop.yaml")
	if err := os.WriteFile(cfgPath, []byte(digestYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv, _ := cliEnv(t, map[string]string{"CXLOOP_CONFIG": cfgPath})
	ctx := context.Background()
	store, err := models.Open(ctx, getenv("CXLOOP_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := &models.Policy{Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(), DMTransports: []string{"log"},
		SLA:   models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour},
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"jaan@example.com"}}}}
	opened := time.Now().Add(-time.Hour)
	in := models.ResponseInput{ExternalID: "late-1", Score: 1}
	in.Normalize(opened)
	if _, err := store.Ingest(ctx, p, opened, []models.ResponseInput{in}, models.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// Ten days on, in the configured zone (Europe/Tallinn), without an offset.
	later := time.Now().AddDate(0, 0, 10).In(mustZone(t, "Europe/Tallinn")).Format("2006-01-02 15:04")
	code, out, errs := runCLI(t, getenv, "jobs", "sla", "--now", later)
	if code != 0 {
		t.Fatalf("jobs sla: %d %s %s", code, out, errs)
	}
	if !strings.Contains(out, "2 escalations") {
		t.Errorf("output %q, want the two overdue follow-ups escalated", out)
	}
	var msgs []models.OutboxMessage
	store.DB().Where("kind = ?", models.KindEscalationDM).Find(&msgs)
	if len(msgs) == 0 {
		t.Fatal("no escalation queued")
	}
	for _, m := range msgs {
		if m.NextAttemptAt.After(time.Now()) {
			t.Errorf("escalation deliverable only from %s", m.NextAttemptAt)
		}
	}
	if code, _, errs := runCLI(t, getenv, "jobs", "sla", "--now", "next week"); code != 2 || !strings.Contains(errs, "is not a time") {
		t.Errorf("bad --now: %d %s", code, errs)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
