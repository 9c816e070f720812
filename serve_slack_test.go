package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// recordHandler passes log records to a channel.
type recordHandler struct{ ch chan slog.Record }

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Clone():
	default:
	}
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

func TestSlackPlatformWiring(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		fake := slackfake.New(t, "xoxb-wiring")
		fake.AddUser("jaan@example.com", "U0JAAN")
		fake.AddUser("mari@example.com", "U0MARI")
		yamlPath := filepath.Join(t.TempDir(), "cxloop.yaml")
		org := "teams:\n  - id: cc\n    name: Contact Center\n    slack_channel: C0CONTACT\n    managers: [mari@example.com]\n" +
			"    members: [jaan@example.com, ghost@example.com]\ndefault_team: cc\n"
		if err := os.WriteFile(yamlPath, []byte(org), 0o600); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"CXLOOP_CONFIG": yamlPath, "SLACK_API_URL": fake.URL()}
		cfg, err := config.Load(envOf(vars))
		if err != nil {
			t.Fatal(err)
		}
		records := make(chan slog.Record, 100)
		deps := platformDeps{cfg: cfg, store: s, policy: cfg.Policy(), clock: models.SystemClock{},
			ops: &chatops.ChatOps{Store: s, Policy: cfg.Policy(), Clock: models.SystemClock{}},
			env: &env{log: slog.New(recordHandler{records})}, queued: func() {}}
		if pl, err := slackPlatform(context.Background(), deps); pl != nil || err != nil {
			t.Fatalf("Slack off: %v %v", pl, err)
		}

		vars["SLACK_BOT_TOKEN"], vars["SLACK_SIGNING_SECRET"] = "xoxb-wiring", "secret"
		if deps.cfg, err = config.Load(envOf(vars)); err != nil {
			t.Fatal(err)
		}
		pl, err := slackPlatform(context.Background(), deps)
		if err != nil || pl == nil {
			t.Fatalf("Slack on: %v", err)
		}
		if _, ok := pl.messenger.(*cxslack.Messenger); !ok || pl.app.Routes()["POST /slack/events"] == nil || pl.run == nil {
			t.Fatalf("platform %+v", pl)
		}
		ctx := context.Background()
		if err := pl.run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
		// The directory is the scheduler's job, run at start on one replica.
		if len(pl.jobs) != 1 || pl.jobs[0].Name != "slack-directory" || !pl.jobs[0].AtStart {
			t.Fatalf("Slack's jobs: %+v", pl.jobs)
		}
		for i := 0; i < 2; i++ {
			if err := pl.jobs[0].Run(ctx, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		logged := 0
		for len(records) > 0 {
			r := <-records
			if !strings.Contains(r.Message, "resolve to nobody") {
				continue
			}
			logged++
			var emails string
			r.Attrs(func(a slog.Attr) bool {
				emails += a.Value.String()
				return true
			})
			if !strings.Contains(emails, "ghost@example.com") || strings.Contains(emails, "jaan@") {
				t.Errorf("unresolved emails logged: %s", emails)
			}
		}
		if logged != 1 {
			t.Errorf("the unresolved emails were logged %d times, want once, at start", logged)
		}
		// The answers are cached for the next start.
		if u, err := s.PlatformUser(context.Background(), "slack", "jaan@example.com"); err != nil || u.UserID != "U0JAAN" {
			t.Errorf("cache %+v %v", u, err)
		}
	})
}
