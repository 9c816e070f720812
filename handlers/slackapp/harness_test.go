package slackapp_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/handlers/slackapp"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
)

const (
	slackToken  = "xoxb-cxloop-test"
	slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
)

// slackT0 is a Monday morning.
var slackT0 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// People of the test organisation and their Slack ids.
var slackPeople = map[string]string{
	"jaan@example.com":     "U0JAAN",
	"liis@example.com":     "U0LIIS",
	"mari@example.com":     "U0MARI",
	"cx.lead@example.com":  "U0LEAD",
	"outsider@example.com": "U0OUTSIDER",
}

// slackHarness is cxloop's Slack side wired to a fake Slack and a real
// database: requests are signed as Slack signs them, and the outbox is
// delivered through the real delivery worker.
type slackHarness struct {
	t     *testing.T
	ctx   context.Context
	store *models.Store
	pol   *models.Policy
	clock *models.FixedClock
	fake  *slackfake.Server
	msgr  *cxslack.Messenger
	dir   *cxslack.CachedDirectory
	app   *slackapp.App
	deliv *jobs.Deliverer
	hooks int
	seq   int // makes each request's trigger id its own, as Slack's are
}

// trigger is a fresh trigger id.
func (h *slackHarness) trigger(what string) string {
	h.seq++
	return fmt.Sprintf("%d.%s", h.seq, what)
}

func slackPolicy() *models.Policy {
	return &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(),
		Admins:     []string{"cx.lead@example.com"},
		RootCauses: []string{"product", "process", "staff"},
		Teams: []models.TeamPolicy{
			{ID: "cc", Name: "Contact Center", Members: []string{"jaan@example.com", "liis@example.com"},
				// ghost@ is configured but not in Slack.
				Managers: []string{"mari@example.com", "ghost@example.com"}, Assign: models.AssignRoundRobin,
				Destinations: []models.Destination{{Transport: "slack", Channel: "C0CONTACT"}}},
			// A team nobody is a member of: its cases open without an owner.
			{ID: "web", Name: "Web Shop", Managers: []string{"mari@example.com"}, Assign: models.AssignRoundRobin,
				Destinations: []models.Destination{{Transport: "slack", Channel: "C0WEB"}}},
		},
		Routes:            []models.Route{{When: map[string][]string{"touchpoint": {"web"}}, Team: "web"}},
		SLA:               models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour},
		DMTransports:      []string{"slack"},
		KudosDestinations: []models.Destination{{Transport: "slack", Channel: "C0KUDOS"}},
	}
}

func newSlackHarness(t *testing.T, s *models.Store) *slackHarness {
	t.Helper()
	h := &slackHarness{t: t, ctx: context.Background(), store: s, pol: slackPolicy(), clock: models.NewFixedClock(slackT0)}
	h.fake = slackfake.New(t, slackToken)
	for email, id := range slackPeople {
		h.fake.AddUser(email, id)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h.dir = cxslack.NewCachedDirectory(s, cxslack.NewClient(slackToken, h.fake.URL(), nil), h.clock, log)
	locator := cxslack.CardLocatorFunc(func(ctx context.Context, caseID int64) (string, string, bool, error) {
		refs, err := s.CardRefsOf(ctx, caseID, "slack")
		if err != nil || len(refs) == 0 {
			return "", "", false, err
		}
		return refs[0].Channel, refs[0].Ref, true, nil
	})
	h.msgr = cxslack.New(slackToken, h.fake.URL(), h.dir, cxslack.WithCardLocator(locator), cxslack.WithTimeout(5*time.Second))
	h.deliv = &jobs.Deliverer{Store: s, Policy: h.pol, Clock: h.clock, Log: log, Messengers: map[string]bot.Messenger{"slack": h.msgr}}
	h.app = &slackapp.App{
		Store: s, Policy: h.pol, Clock: h.clock, Log: log,
		Ops:       &chatops.ChatOps{Store: s, Policy: h.pol, Clock: h.clock},
		Messenger: h.msgr, Directory: h.dir, SigningSecret: slackSecret, Queued: h.deliv.Notify,
	}
	// Registered after the fake, so it runs before the fake closes: work
	// still waiting on a hanging fake is cancelled, then awaited.
	t.Cleanup(func() {
		done, cancel := context.WithCancel(context.Background())
		cancel()
		h.app.Shutdown(done)
	})
	return h
}

// ingest stores responses as the webhook would.
func (h *slackHarness) ingest(ins ...models.ResponseInput) []models.IngestResult {
	h.t.Helper()
	for i := range ins {
		if ins[i].Source == "" {
			ins[i].Source = "web-survey"
		}
		ins[i].Normalize(h.clock.Now())
		if err := ins[i].Validate(h.clock.Now()); err != nil {
			h.t.Fatalf("input %d: %v", i, err)
		}
	}
	res, err := h.store.Ingest(h.ctx, h.pol, h.clock.Now(), ins, models.IngestOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// deliver runs the delivery worker until the outbox is empty, moving the
// clock past the per-channel pacing when nothing is due yet.
func (h *slackHarness) deliver() {
	h.t.Helper()
	for i := 0; i < 200; i++ {
		n, err := h.deliv.RunOnce(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if n > 0 {
			continue
		}
		counts, err := h.store.OutboxCounts(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		if counts[models.OutboxPending] == 0 {
			if counts[models.OutboxFailed] != 0 {
				h.t.Fatalf("outbox: %v", counts)
			}
			return
		}
		h.clock.Advance(time.Second)
	}
	h.t.Fatal("the outbox did not drain")
}

func slackSign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// request builds a request signed now by the test clock.
func (h *slackHarness) request(contentType string, body []byte) *http.Request {
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackSign(slackSecret, ts, body))
	return req
}

// serve sends a request to the app and waits for the work it started.
func (h *slackHarness) serve(req *http.Request) *httptest.ResponseRecorder {
	h.t.Helper()
	rec := httptest.NewRecorder()
	h.app.ServeHTTP(rec, req)
	h.app.Wait()
	return rec
}

func slackFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func slackFixtureJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(slackFixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// slash runs /cx text as the user and returns the answer posted to the
// command's response_url.
func (h *slackHarness) slash(userID, text string) slackfake.Call {
	h.t.Helper()
	h.hooks++
	hook := fmt.Sprintf("commands/T0ACME/%d/secret", h.hooks)
	form, err := url.ParseQuery(string(slackFixture(h.t, "slash_command_cx_mine.txt")))
	if err != nil {
		h.t.Fatal(err)
	}
	form.Set("user_id", userID)
	form.Set("channel_id", "C0CONTACT")
	form.Set("text", text)
	form.Set("response_url", h.fake.ResponseURL(hook))
	form.Set("trigger_id", h.trigger("slash-"+userID))
	rec := h.serve(h.request("application/x-www-form-urlencoded", []byte(form.Encode())))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		h.t.Fatalf("/cx %s: %d %q; want an empty 200", text, rec.Code, rec.Body.String())
	}
	for _, c := range h.fake.Calls(slackfake.MethodResponseURL) {
		if c.Params.Get("hook") == hook {
			return c
		}
	}
	h.t.Fatalf("/cx %s: nothing posted to the response_url", text)
	return slackfake.Call{}
}

// interaction posts an interactivity payload as Slack does: a form with one
// field, payload.
func (h *slackHarness) interaction(payload map[string]any) *http.Request {
	h.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.request("application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(b)}}.Encode()))
}

// press builds a button press on the case card posted in channel at ts (the
// block_actions fixture, adapted).
func (h *slackHarness) press(userID, actionID string, caseID int64, channel, ts string) *http.Request {
	return h.interaction(h.pressPayload(userID, actionID, caseID, channel, ts))
}

func (h *slackHarness) pressPayload(userID, actionID string, caseID int64, channel, ts string) map[string]any {
	p := slackFixtureJSON(h.t, "block_actions_button.json")
	p["user"] = map[string]any{"id": userID, "username": userID, "team_id": "T0ACME"}
	p["container"] = map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false}
	p["channel"] = map[string]any{"id": channel, "name": "cx"}
	p["trigger_id"] = fmt.Sprintf("trigger-%s-%s-%d", userID, actionID, caseID)
	h.seq++ // each click its own action_ts, as Slack's are
	p["response_url"] = h.fake.ResponseURL("actions/" + userID)
	msg := p["message"].(map[string]any)
	msg["ts"] = ts
	p["actions"] = []any{map[string]any{"type": "button", "action_id": actionID, "block_id": fmt.Sprintf("case-%d-actions", caseID),
		"value": strconv.FormatInt(caseID, 10), "action_ts": fmt.Sprintf("1790000050.%06d", h.seq),
		"text": map[string]any{"type": "plain_text", "text": "button"}}}
	return p
}

// submitView builds a modal submission (the view_submission fixture,
// adapted) with the given input values, block id → action id → value.
func (h *slackHarness) submitView(userID, callbackID, metadata string, values map[string]map[string]any) *http.Request {
	return h.interaction(h.submitPayload(userID, callbackID, metadata, values))
}

func (h *slackHarness) submitPayload(userID, callbackID, metadata string, values map[string]map[string]any) map[string]any {
	p := slackFixtureJSON(h.t, "view_submission.json")
	p["user"] = map[string]any{"id": userID, "username": userID, "team_id": "T0ACME"}
	v := p["view"].(map[string]any)
	v["callback_id"] = callbackID
	v["private_metadata"] = metadata
	v["state"] = map[string]any{"values": values}
	p["trigger_id"] = h.trigger("submit-" + userID)
	return p
}

// openedView returns the modal of the latest views.open call.
func (h *slackHarness) openedView() (triggerID string, view map[string]any) {
	h.t.Helper()
	calls := h.fake.Calls("views.open")
	if len(calls) == 0 {
		h.t.Fatal("no views.open")
	}
	c := calls[len(calls)-1]
	if err := json.Unmarshal([]byte(c.Params.Get("view")), &view); err != nil {
		h.t.Fatalf("view: %v", err)
	}
	return c.Params.Get("trigger_id"), view
}

// texts returns every string in a call, decoded from forms and JSON at any
// depth: what Slack would read.
func callTexts(c slackfake.Call) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
			var inner any
			if (strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[")) && json.Unmarshal([]byte(v), &inner) == nil {
				walk(inner)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, vs := range c.Params {
		for _, v := range vs {
			walk(v)
		}
	}
	if len(c.Body) > 0 {
		var b any
		if json.Unmarshal(c.Body, &b) == nil {
			walk(b)
		}
	}
	return out
}

func callText(c slackfake.Call) string { return strings.Join(callTexts(c), "\n") }

// caseOf reads a case from the database.
func (h *slackHarness) caseOf(id int64) models.Case {
	h.t.Helper()
	v, err := h.store.CaseView(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return v.Case
}

// cardTS returns where the case's card was posted.
func (h *slackHarness) cardTS(caseID int64, channel string) string {
	h.t.Helper()
	ref, err := h.store.CardRef(h.ctx, caseID, "slack", channel)
	if err != nil {
		h.t.Fatalf("card of case %d: %v", caseID, err)
	}
	return ref.Ref
}

// ephemerals returns the private answers to a user so far.
func (h *slackHarness) ephemerals(userID string) []string {
	var out []string
	for _, c := range h.fake.Calls("chat.postEphemeral") {
		if c.Params.Get("user") == userID {
			out = append(out, c.Params.Get("text"))
		}
	}
	return out
}
