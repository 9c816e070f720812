package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	cxslack "github.com/cxloop/cxloop/bot/slack"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestManifestSlack(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"manifest", "slack"}, envOf(map[string]string{"CXLOOP_PUBLIC_URL": "https://cx.example.com/"}), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m struct {
		Display struct {
			Name string `yaml:"name"`
		} `yaml:"display_information"`
		Features struct {
			AppHome struct {
				HomeTab bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			BotUser struct {
				DisplayName string `yaml:"display_name"`
			} `yaml:"bot_user"`
			SlashCommands []struct {
				Command      string `yaml:"command"`
				URL          string `yaml:"url"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				URL       string   `yaml:"request_url"`
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool   `yaml:"is_enabled"`
				URL     string `yaml:"request_url"`
			} `yaml:"interactivity"`
			Socket bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out.String())
	}
	const url = "https://cx.example.com/slack/events"
	if m.Display.Name != "cxloop" || m.Features.BotUser.DisplayName != "cxloop" || !m.Features.AppHome.HomeTab {
		t.Errorf("app: %+v %+v", m.Display, m.Features)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/cx" || m.Features.SlashCommands[0].URL != url ||
		!m.Features.SlashCommands[0].ShouldEscape {
		t.Errorf("slash commands %+v", m.Features.SlashCommands)
	}
	if m.Settings.Events.URL != url || !reflect.DeepEqual(m.Settings.Events.BotEvents, []string{"app_home_opened"}) ||
		!m.Settings.Interactivity.Enabled || m.Settings.Interactivity.URL != url || m.Settings.Socket {
		t.Errorf("settings %+v", m.Settings)
	}
	if !reflect.DeepEqual(m.OAuth.Scopes.Bot, cxslack.BotScopes) {
		t.Errorf("scopes %v, the code uses %v", m.OAuth.Scopes.Bot, cxslack.BotScopes)
	}

	// Socket Mode: no request URLs; --out writes a file.
	file := filepath.Join(t.TempDir(), "manifest.yaml")
	out.Reset()
	code = run(context.Background(), []string{"manifest", "slack", "--name", "Feedback Bot", "--out", file},
		envOf(map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if !strings.Contains(doc, "socket_mode_enabled: true") || strings.Contains(doc, "request_url") || strings.Contains(doc, "url:") ||
		!strings.Contains(doc, "display_name: Feedback Bot") {
		t.Errorf("socket manifest:\n%s", doc)
	}
	if code := run(context.Background(), []string{"manifest", "slack", "--bogus"}, envOf(nil), &out, &errb); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
}
