package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/handlers/chatops"
)

// The manifests refuse what Slack and Teams would refuse, with a clear error.
func TestManifestChecks(t *testing.T) {
	const appID = "7d1c6a52-1b2e-4f0a-9e3d-5c8b7a6f4e21"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string
	}{
		{"teams without the bot password", []string{"manifest", "teams"}, map[string]string{"MICROSOFT_APP_ID": appID, "CXLOOP_PUBLIC_URL": "https://cx.example.com"}, 0, "version 1.0.0"},
		{"teams version", []string{"manifest", "teams", "--version", "2.3.4"}, map[string]string{"MICROSOFT_APP_ID": appID, "CXLOOP_PUBLIC_URL": "https://cx.example.com"}, 0, "version 2.3.4"},
		{"teams bad version", []string{"manifest", "teams", "--version", "v2"}, map[string]string{"MICROSOFT_APP_ID": appID, "CXLOOP_PUBLIC_URL": "https://cx.example.com"}, 2, "MAJOR.MINOR.PATCH"},
		{"teams app id not a GUID", []string{"manifest", "teams"}, map[string]string{"MICROSOFT_APP_ID": "my-bot", "CXLOOP_PUBLIC_URL": "https://cx.example.com"}, 2, "not an Azure app id"},
		{"teams http URL", []string{"manifest", "teams"}, map[string]string{"MICROSOFT_APP_ID": appID, "CXLOOP_PUBLIC_URL": "http://cx.example.com"}, 2, "must be an https://"},
		{"teams default URL", []string{"manifest", "teams"}, map[string]string{"MICROSOFT_APP_ID": appID}, 2, "must be an https://"},
		{"slack name too long", []string{"manifest", "slack", "--name", strings.Repeat("n", 36)}, map[string]string{"CXLOOP_PUBLIC_URL": "https://cx.example.com"}, 2, "1 to 35 characters"},
		{"slack name of 35", []string{"manifest", "slack", "--name", strings.Repeat("n", 35)}, map[string]string{"CXLOOP_PUBLIC_URL": "https://cx.example.com"}, 0, ""},
		{"slack http URL", []string{"manifest", "slack"}, map[string]string{"CXLOOP_PUBLIC_URL": "http://cx.example.com"}, 2, "must be an https://"},
		{"slack http URL in socket mode", []string{"manifest", "slack", "--socket"}, map[string]string{"CXLOOP_PUBLIC_URL": "http://cx.example.com"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "pkg.zip")
			args := tt.args
			if args[1] == "teams" {
				args = append(append([]string(nil), args...), "--out", out)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, envOf(tt.env), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String()+stderr.String(), tt.want) {
				t.Errorf("exit %d, want %d; output %q %q, want %q", code, tt.code, stdout.String(), stderr.String(), tt.want)
			}
			if args[1] == "teams" && code == 0 {
				if v := teamsPackageVersion(t, out); !strings.Contains(tt.want, v) {
					t.Errorf("package version %q", v)
				}
			}
		})
	}
}

func teamsPackageVersion(t *testing.T, path string) string {
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "manifest.json" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			var m struct{ Version string }
			_ = json.Unmarshal(b, &m)
			return m.Version
		}
	}
	return ""
}

// One command table feeds /cx help, the Slack hint, the Teams command list
// and the README.
func TestCommandListsAgree(t *testing.T) {
	hint := slackUsageHint()
	teams := teamsCommands()
	if len(teams) > teamsCommandLimit {
		t.Errorf("%d Teams commands; a command list holds %d", len(teams), teamsCommandLimit)
	}
	readme := readREADME(t)
	for i, c := range chatops.Commands {
		if !strings.Contains(hint, c.Synopsis()) {
			t.Errorf("Slack hint %q lacks %s", hint, c.Synopsis())
		}
		if i < teamsCommandLimit && (teams[i]["title"] != c.Name || len(teams[i]["title"]) > 32 || len(teams[i]["description"]) > 128) {
			t.Errorf("Teams command %v for %s", teams[i], c.Name)
		}
		if u := chatops.Usage("en"); !strings.Contains(u, c.Synopsis()) || !strings.Contains(u, c.Help) {
			t.Errorf("/cx help lacks %s", c.Name)
		}
		if !strings.Contains(readme, "| `"+c.Synopsis()+"` | "+c.Help+" |") {
			t.Errorf("README's command table lacks the row | `%s` | %s |", c.Synopsis(), c.Help)
		}
	}
	for _, name := range []string{"told", "backlog", "note"} {
		if !strings.Contains(hint, name) {
			t.Errorf("Slack hint lacks %s", name)
		}
	}
}

// The README's list of cxloop commands has every command of the binary.
func TestREADMEListsEveryCLICommand(t *testing.T) {
	readme := readREADME(t)
	for _, c := range cliCommands() {
		if !strings.Contains(readme, c.synopsis()) {
			t.Errorf("README lacks %q", c.synopsis())
		}
	}
}

func readREADME(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
