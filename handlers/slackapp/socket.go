package slackapp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode serves Slack over Socket Mode until ctx ends: the same
// events, commands and interactions as the HTTP endpoint, acknowledged on
// the WebSocket instead of in an HTTP response. slack-go reconnects when
// Slack asks it to or the connection drops; when its run ends with an error
// anyway, it is started again after a backoff, except for a rejected token.
func (a *App) RunSocketMode(ctx context.Context, client *socketmode.Client) error {
	a.init()
	runErr := make(chan error, 1)
	go func() { runErr <- a.keepConnected(ctx, client) }()
	for {
		select {
		case <-ctx.Done():
			<-runErr
			return nil
		case err := <-runErr:
			return err
		case evt := <-client.Events:
			a.socketEvent(ctx, client, evt)
		}
	}
}

// keepConnected runs the Socket Mode connection, restarting it with a
// growing pause (1 s up to a minute) while ctx lasts.
func (a *App) keepConnected(ctx context.Context, client *socketmode.Client) error {
	pause := time.Second
	for {
		started := time.Now()
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && fatalSocketError(err) {
			return err
		}
		if time.Since(started) > 5*time.Minute {
			pause = time.Second // it ran well for a while: start over
		}
		a.Log.Warn("slack: Socket Mode connection ended; reconnecting", "err", err, "in", pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		pause = min(2*pause, time.Minute)
	}
}

// fatalSocketError reports an error no reconnection can fix: the app-level
// token is wrong or revoked.
func fatalSocketError(err error) bool {
	var api slackgo.SlackErrorResponse
	code := err.Error()
	if errors.As(err, &api) {
		code = api.Err
	}
	switch code {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type":
		return true
	}
	var sc slackgo.StatusCodeError
	return errors.As(err, &sc) && (sc.Code == 401 || sc.Code == 403 || sc.Code == 404)
}

func (a *App) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	ack := func(payload any) {
		if evt.Request == nil {
			return
		}
		var err error
		if payload == nil {
			err = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		} else {
			err = client.AckCtx(ctx, evt.Request.EnvelopeID, payload)
		}
		if err != nil {
			a.Log.Warn("slack: Socket Mode acknowledgement", "err", err)
		}
	}
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.Log.Debug("slack: Socket Mode connecting")
	case socketmode.EventTypeConnected:
		a.Log.Info("slack: Socket Mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage,
		socketmode.EventTypeErrorWriteFailed:
		a.Log.Warn("slack: Socket Mode trouble", "type", evt.Type, "data", evt.Data)
	case socketmode.EventTypeInvalidAuth:
		a.Log.Error("slack: Socket Mode refused the app-level token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeEventsAPI:
		var env envelope
		if evt.Request == nil || json.Unmarshal(evt.Request.Payload, &env) != nil {
			ack(nil)
			return
		}
		if evt.Request.RetryAttempt > 0 {
			a.Log.Info("slack: event redelivered", "event_id", env.EventID, "retry", evt.Request.RetryAttempt, "reason", evt.Request.RetryReason)
		}
		// Unacknowledged, a busy app's event comes again later.
		if a.event(env) {
			ack(nil)
		}
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slackgo.SlashCommand)
		if !ok {
			ack(nil)
			return
		}
		if !a.command(cmd) {
			ack(map[string]string{"response_type": "ephemeral", "text": a.busyText()})
			return
		}
		ack(nil)
	case socketmode.EventTypeInteractive:
		ic, ok := evt.Data.(slackgo.InteractionCallback)
		if !ok {
			ack(nil)
			return
		}
		switch ic.Type {
		case slackgo.InteractionTypeBlockActions:
			ack(nil)
			a.blockActions(ic)
		case slackgo.InteractionTypeViewSubmission:
			// The wait for the outcome must not hold up other events.
			go func() {
				if resp := a.viewSubmission(ctx, ic); resp != nil {
					ack(resp)
					return
				}
				ack(nil)
			}()
		default:
			ack(nil)
		}
	case socketmode.EventTypeHello, socketmode.EventTypeDisconnect:
	default:
		if evt.Request != nil && strings.TrimSpace(evt.Request.EnvelopeID) != "" {
			ack(nil)
		}
	}
}
