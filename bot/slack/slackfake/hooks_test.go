package slackfake_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/cxloop/cxloop/bot/slack/slackfake"
)

func TestResponseURL(t *testing.T) {
	s := slackfake.New(t, token)
	hc := &http.Client{Timeout: 5 * time.Second}
	msg := &slack.WebhookMessage{Text: "hi", ResponseType: "ephemeral"}
	if err := slack.PostWebhookCustomHTTP(s.ResponseURL("commands/T1/2/x"), hc, msg); err != nil {
		t.Fatal(err)
	}
	calls := s.Calls(slackfake.MethodResponseURL)
	if len(calls) != 1 || calls[0].Params.Get("text") != "hi" || calls[0].Params.Get("response_type") != "ephemeral" ||
		calls[0].Params.Get("hook") != "commands/T1/2/x" {
		t.Fatalf("calls %+v", calls)
	}
	s.FailNext(slackfake.MethodResponseURL, 1, slackfake.ServerError())
	if err := slack.PostWebhookCustomHTTP(s.ResponseURL("again"), hc, msg); err == nil {
		t.Error("an injected failure did not fail")
	}
}

func TestSocketMode(t *testing.T) {
	s := slackfake.New(t, token)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Without EnableSocketMode, or with another token, no connection opens.
	if _, _, err := client(s, token).StartSocketModeContext(ctx); apiErr(err) != "invalid_auth" {
		t.Fatalf("apps.connections.open with the bot token: %v", err)
	}
	s.EnableSocketMode("xapp-test")
	c := socketmode.New(slack.New(token, slack.OptionAPIURL(s.URL()), slack.OptionAppLevelToken("xapp-test")))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.RunContext(runCtx)
	}()
	defer func() {
		stop()
		<-done
	}()
	go func() {
		for {
			select {
			case <-done:
				return
			case evt := <-c.Events:
				if evt.Type == socketmode.EventTypeSlashCommand {
					_ = c.Ack(*evt.Request, map[string]string{"text": "pong"})
				}
			}
		}
	}()
	id, err := s.SocketSend(ctx, "slash_commands", slack.SlashCommand{Command: "/cx", Text: "ping"})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := s.SocketAck(ctx, id)
	if err != nil || string(ack) != `{"text":"pong"}` {
		t.Fatalf("ack %s %v", ack, err)
	}
	if s.SocketConnections() != 1 {
		t.Errorf("%d connections", s.SocketConnections())
	}
}
