package main

import (
	"context"
	"net/http"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/config"
	"github.com/cxloop/cxloop/handlers"
	"github.com/cxloop/cxloop/models"
)

// platform is what a chat platform adds to the service.
type platform struct {
	messenger bot.Messenger
	routes    map[string]http.Handler
	// run, when set, runs beside the HTTP server until ctx ends (Socket Mode).
	run func(ctx context.Context) error
}

// platformDeps is what a platform integration is given.
type platformDeps struct {
	cfg    *config.Config
	store  *models.Store
	policy *models.Policy
	clock  models.Clock
	ops    *handlers.ChatOps
	env    *env
	queued func()
}

// slackPlatform connects Slack when SLACK_BOT_TOKEN is set.
func slackPlatform(ctx context.Context, d platformDeps) (*platform, error) { return nil, nil }
