package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/handlers/slackapp"
)

// manifestSlack prints the Slack app manifest (YAML) for CXLOOP_PUBLIC_URL:
// paste it at api.slack.com/apps → Create New App → From an app manifest.
func manifestSlack(_ context.Context, e *env) error {
	fs := flag.NewFlagSet("manifest slack", flag.ContinueOnError)
	socket := fs.Bool("socket", false, "Socket Mode instead of request URLs (default: when SLACK_APP_TOKEN is set)")
	name := fs.String("name", "cxloop", "the app's and the bot user's name")
	out := fs.String("out", "", "write the manifest to FILE instead of standard output")
	if err := e.parseNoArgs(fs, e.args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	useSocket := *socket || cfg.Env.SlackAppToken != ""
	base := strings.TrimRight(cfg.Env.PublicURL, "/")
	if !useSocket {
		if _, err := httpsURL("CXLOOP_PUBLIC_URL", cfg.Env.PublicURL); err != nil {
			return usageError(err.Error() + ": Slack sends requests only to https (or use --socket)")
		}
	}
	if n := utf8.RuneCountInString(*name); n == 0 || n > slackNameLimit {
		return usageError(fmt.Sprintf("--name %q: Slack takes an app name of 1 to %d characters", *name, slackNameLimit))
	}
	var doc strings.Builder
	enc := yaml.NewEncoder(&doc)
	enc.SetIndent(2)
	if err := enc.Encode(slackManifest(*name, base+slackapp.EventsPath, useSocket)); err != nil {
		return err
	}
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	header := "# Slack app manifest for cxloop. Create the app at https://api.slack.com/apps\n" +
		"# (Create New App → From an app manifest) and paste this document.\n"
	if _, err := io.WriteString(w, header+doc.String()); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(e.stderr, "wrote %s\n", *out)
	}
	return nil
}

// slackNameLimit is the longest app and bot user name Slack accepts.
const slackNameLimit = 35

// slackUsageHint lists the commands for /cx's hint, from the one table.
func slackUsageHint() string {
	var parts []string
	for _, c := range chatops.Commands {
		parts = append(parts, c.Synopsis())
	}
	return strings.Join(parts, " | ")
}

// The manifest's shape (https://docs.slack.dev/reference/app-manifest).
type (
	slackAppManifest struct {
		Display  manifestDisplay  `yaml:"display_information"`
		Features manifestFeatures `yaml:"features"`
		OAuth    manifestOAuth    `yaml:"oauth_config"`
		Settings manifestSettings `yaml:"settings"`
	}
	manifestDisplay struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		LongDescription string `yaml:"long_description,omitempty"`
		BackgroundColor string `yaml:"background_color"`
	}
	manifestFeatures struct {
		AppHome       manifestAppHome        `yaml:"app_home"`
		BotUser       manifestBotUser        `yaml:"bot_user"`
		SlashCommands []manifestSlashCommand `yaml:"slash_commands"`
	}
	manifestAppHome struct {
		HomeTabEnabled             bool `yaml:"home_tab_enabled"`
		MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
		MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
	}
	manifestBotUser struct {
		DisplayName  string `yaml:"display_name"`
		AlwaysOnline bool   `yaml:"always_online"`
	}
	manifestSlashCommand struct {
		Command      string `yaml:"command"`
		URL          string `yaml:"url,omitempty"`
		Description  string `yaml:"description"`
		UsageHint    string `yaml:"usage_hint"`
		ShouldEscape bool   `yaml:"should_escape"`
	}
	manifestOAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	}
	manifestSettings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url,omitempty"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url,omitempty"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	}
)

// slackManifest describes the app: the bot user, /cx (with mentions
// escaped, so "assign 42 @liis" arrives as <@U…>), interactivity and the
// app_home_opened event on the one request URL (none in Socket Mode), the
// Home tab, and exactly the bot scopes the code uses.
func slackManifest(name, requestURL string, socket bool) slackAppManifest {
	var m slackAppManifest
	m.Display = manifestDisplay{
		Name:        name,
		Description: "Closes the customer-feedback loop: detractor cases, owners and follow-ups in your channels.",
		LongDescription: "cxloop posts every detractor survey response into the right team's channel as a live case card, " +
			"gives it an owner, chases the thank-you and the resolution, escalates what runs late, feeds systemic problems " +
			"into an improvement backlog and sends leadership a monthly digest. Use /cx help to see the commands.",
		BackgroundColor: "#1d3557",
	}
	m.Features.AppHome = manifestAppHome{HomeTabEnabled: true, MessagesTabEnabled: true, MessagesTabReadOnlyEnabled: true}
	m.Features.BotUser = manifestBotUser{DisplayName: name, AlwaysOnline: true}
	cmd := manifestSlashCommand{
		Command: "/cx", Description: "Work customer-feedback cases",
		UsageHint:    slackUsageHint(),
		ShouldEscape: true,
	}
	m.OAuth.Scopes.Bot = append([]string(nil), cxslack.BotScopes...)
	m.Settings.EventSubscriptions.BotEvents = []string{"app_home_opened"}
	m.Settings.Interactivity.IsEnabled = true
	m.Settings.SocketModeEnabled = socket
	if !socket {
		cmd.URL = requestURL
		m.Settings.EventSubscriptions.RequestURL = requestURL
		m.Settings.Interactivity.RequestURL = requestURL
	}
	m.Features.SlashCommands = []manifestSlashCommand{cmd}
	return m
}
