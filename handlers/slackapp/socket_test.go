package slackapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// Socket Mode feeds the same handling as the HTTP endpoint, acknowledging
// on the WebSocket, and reconnects when the connection drops.
func TestSlackSocketMode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		const appToken = "xapp-1-test"
		h.fake.EnableSocketMode(appToken)
		client := socketmode.New(cxslack.NewClient(slackToken, h.fake.URL(), nil, slackgo.OptionAppLevelToken(appToken)))
		runCtx, stop := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		go func() { stopped <- h.app.RunSocketMode(runCtx, client) }()
		defer func() {
			stop()
			if err := <-stopped; err != nil {
				t.Errorf("RunSocketMode: %v", err)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()

		res := h.ingest(models.ResponseInput{ExternalID: "d1", Score: 2, Comment: "Waited an hour"})
		h.deliver()
		ts := h.cardTS(res[0].CaseID, "C0CONTACT")

		// A slash command: acknowledged empty, answered on its response_url.
		id, err := h.fake.SocketSend(ctx, "slash_commands", slackgo.SlashCommand{Command: "/cx", Text: "mine", UserID: "U0JAAN",
			ChannelID: "C0CONTACT", ResponseURL: h.fake.ResponseURL("socket-mine")})
		if err != nil {
			t.Fatal(err)
		}
		if ack, err := h.fake.SocketAck(ctx, id); err != nil || len(ack) != 0 {
			t.Fatalf("command ack %s, %v", ack, err)
		}
		answers, err := h.fake.WaitCalls(ctx, slackfake.MethodResponseURL, 1)
		if err != nil || !strings.Contains(answers[0].Params.Get("text"), "You have 1 open case") {
			t.Fatalf("command answer %+v %v", answers, err)
		}

		// A button: a member may not assign.
		id, err = h.fake.SocketSend(ctx, "interactive", h.pressPayload("U0JAAN", "case.assign", 1, "C0CONTACT", ts))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.fake.SocketAck(ctx, id); err != nil {
			t.Fatal(err)
		}
		eph, err := h.fake.WaitCalls(ctx, "chat.postEphemeral", 1)
		if err != nil || eph[0].Params.Get("text") != "Only managers of Contact Center can reassign." {
			t.Fatalf("refusal %+v %v", eph, err)
		}

		// A submission with an invalid field: the errors travel in the ack.
		id, err = h.fake.SocketSend(ctx, "interactive", h.submitPayload("U0MARI", cxslack.ModalAssign, `{"case":1,"channel":"C0CONTACT"}`,
			map[string]map[string]any{"assignee": {"assignee_select": map[string]any{"type": "users_select", "selected_user": "U0OUTSIDER"}}}))
		if err != nil {
			t.Fatal(err)
		}
		ack, err := h.fake.SocketAck(ctx, id)
		var resp slackgo.ViewSubmissionResponse
		if err != nil || json.Unmarshal(ack, &resp) != nil || resp.ResponseAction != "errors" || resp.Errors["assignee"] == "" {
			t.Fatalf("submission ack %s, %v", ack, err)
		}

		// The connection drops; the client reconnects and events flow again,
		// each handled once.
		h.fake.DropSocket()
		ev := slackFixtureJSON(t, "event_app_home_opened.json")
		for i := 0; i < 2; i++ {
			id, err = h.fake.SocketSend(ctx, "events_api", ev)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.fake.SocketAck(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.fake.WaitCalls(ctx, "views.publish", 1); err != nil {
			t.Fatal(err)
		}
		h.app.Wait()
		if n := len(h.fake.Calls("views.publish")); n != 1 {
			t.Errorf("%d views.publish for one event sent twice", n)
		}
		if n := h.fake.SocketConnections(); n != 2 {
			t.Errorf("%d connections, want a reconnect", n)
		}
		if got := h.caseOf(1); got.Owner != "jaan@example.com" {
			t.Errorf("owner %s", got.Owner)
		}
	})
}
