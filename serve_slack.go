package main

import (
	"context"
	"log/slog"

	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/handlers/slackapp"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
)

// platform is what a chat platform adds to the service.
type platform struct {
	messenger bot.Messenger
	app       handlers.App // its endpoints, mounted beside the server's
	// run, when set, runs beside the HTTP server until ctx ends (Socket Mode).
	run func(ctx context.Context) error
	// jobs are the platform's periodic work, run by the scheduler under
	// its lock, so one replica does each.
	jobs []jobs.Job
}

// platformDeps is what a platform integration is given.
type platformDeps struct {
	cfg    *config.Config
	store  *models.Store
	policy *models.Policy
	clock  models.Clock
	ops    *chatops.ChatOps
	env    *env
	queued func()
}

// slackPlatform connects Slack when SLACK_BOT_TOKEN is set: the Messenger
// (Web API at SLACK_API_URL), the people directory cached in the database,
// POST /slack/events when SLACK_SIGNING_SECRET is set, and Socket Mode
// when SLACK_APP_TOKEN is.
func slackPlatform(ctx context.Context, d platformDeps) (*platform, error) {
	if !d.cfg.SlackEnabled() {
		return nil, nil
	}
	e := d.cfg.Env
	log := d.env.log.With("platform", models.TransportSlack)
	dir := cxslack.NewCachedDirectory(d.store, cxslack.NewClient(e.SlackBotToken, e.SlackAPIURL, nil), d.clock, log)
	locator := cxslack.CardLocatorFunc(func(ctx context.Context, caseID int64) (string, string, bool, error) {
		refs, err := d.store.CardRefsOf(ctx, caseID, models.TransportSlack)
		if err != nil || len(refs) == 0 {
			return "", "", false, err
		}
		return refs[0].Channel, refs[0].Ref, true, nil
	})
	m := cxslack.New(e.SlackBotToken, e.SlackAPIURL, dir, cxslack.WithCardLocator(locator))
	app := &slackapp.App{
		Store: d.store, Policy: d.policy, Clock: d.clock, Log: log, Ops: d.ops,
		Messenger: m, Directory: dir, SigningSecret: e.SlackSigningSecret, Queued: d.queued,
	}
	pl := &platform{messenger: m, app: app}
	var sock *socketmode.Client
	if e.SlackAppToken != "" {
		api := cxslack.NewClient(e.SlackBotToken, e.SlackAPIURL, nil, slackgo.OptionAppLevelToken(e.SlackAppToken))
		sock = socketmode.New(api)
	}
	mode := "http"
	if sock != nil {
		mode = "socket"
	}
	log.Info("slack connected", "mode", mode, "events_url", e.PublicURL+slackapp.EventsPath)
	pl.run = func(ctx context.Context) error { return runSlack(ctx, app, m, sock, log) }
	pl.jobs = []jobs.Job{slackDirectoryJob(dir, d.policy, log)}
	return pl, nil
}

// runSlack is Slack's background work beside the HTTP server: a check of
// the token at start, and Socket Mode when configured.
func runSlack(ctx context.Context, app *slackapp.App, m *cxslack.Messenger, sock *socketmode.Client, log *slog.Logger) error {
	if who, err := m.API().AuthTestContext(ctx); err != nil {
		log.Error("slack: auth.test failed; check SLACK_BOT_TOKEN and SLACK_API_URL", "err", err)
	} else {
		log.Info("slack: authenticated", "team", who.Team, "bot_user", who.UserID)
	}
	if sock == nil {
		return nil
	}
	defer func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		app.Shutdown(shutdown)
		cancel()
	}()
	// HTTP (when configured) and the directory carry on if it stops.
	if err := app.RunSocketMode(ctx, sock); err != nil && ctx.Err() == nil {
		log.Error("slack: Socket Mode stopped", "err", err)
	}
	return nil
}

// slackDirectoryJob resolves the configured people in Slack at start and
// daily, into the directory cache the replicas share; the emails that
// resolve to nobody are logged once, at start.
func slackDirectoryJob(dir *cxslack.CachedDirectory, policy *models.Policy, log *slog.Logger) jobs.Job {
	first := true
	return jobs.Job{Name: "slack-directory", Spec: "23 4 * * *", AtStart: true, Run: func(ctx context.Context, _ time.Time) error {
		missing, err := dir.Refresh(ctx, cxslack.ConfiguredEmails(policy))
		if err != nil {
			return err
		}
		if len(missing) > 0 && first {
			log.Warn("slack: these configured emails resolve to nobody in Slack; they get no DMs or mentions", "emails", missing)
		}
		first = false
		return nil
	}}
}
