package main

import (
	"context"

	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/handlers/teamsapp"
)

// teamsPlatform connects Microsoft Teams when MICROSOFT_APP_ID is set: the
// token validator, the Bot Connector client, the messenger and the
// POST /api/messages route. Without an app id Teams is off and the route is
// not registered; authentication is never switched off.
func teamsPlatform(ctx context.Context, d platformDeps) (*platform, error) {
	if !d.cfg.TeamsEnabled() {
		return nil, nil
	}
	e := d.cfg.Env
	validator, err := teams.NewValidator(e.MicrosoftAppID, e.TeamsOpenIDMetadataURL, teams.WithValidatorClock(d.clock.Now))
	if err != nil {
		return nil, err
	}
	conn := teams.NewConnector(teams.ConnectorConfig{
		AppID: e.MicrosoftAppID, AppPassword: e.MicrosoftAppPassword, TokenURL: e.TeamsTokenURL, TenantID: e.MicrosoftAppTenantID,
	})
	msgr := teams.NewMessenger(conn, d.store, d.policy, teams.WithTenant(e.MicrosoftAppTenantID),
		teams.WithDirectory(teams.NewDirectory(d.store, conn, d.clock.Now)))
	h := &teamsapp.Bot{
		Store: d.store, Policy: d.policy, Clock: d.clock, Log: d.env.log, Ops: d.ops,
		Adapter: teams.NewAdapter(e.MicrosoftAppID, e.MicrosoftAppPassword, validator, conn), Messenger: msgr, Queued: d.queued,
	}
	if d.ops != nil {
		d.ops.PlatformStatus = append(d.ops.PlatformStatus, h.TeamStatus)
	}
	d.env.log.Info("teams connected", "app_id", e.MicrosoftAppID, "token_url", conn.TokenURL(),
		"messaging_endpoint", e.PublicURL+teamsapp.MessagingPath)
	return &platform{messenger: msgr, app: h}, nil
}
