package slackapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/slack/slackfake"
	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// Slack's documented signing example.
func TestSlackSignatureVector(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.clock.Set(time.Unix(1531420618, 0))
		// The vector's response_url is Slack's own: answers must not leave
		// the test, so that post fails at once and the answer falls back.
		h.app.HTTPClient = &http.Client{Transport: slackRoundTrip(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("no network in tests")
		})}
		body := slackFixture(t, "slash_command_signed_example.txt")
		const want = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
		if got := slackSign(slackSecret, "1531420618", body); got != want {
			t.Fatalf("signature %s, documented %s", got, want)
		}
		req := httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", "1531420618")
		req.Header.Set("X-Slack-Signature", want)
		if rec := h.serve(req); rec.Code != http.StatusOK {
			t.Fatalf("documented request: %d %s", rec.Code, rec.Body)
		}
		// The command ran: its user is unknown here, so it was told so,
		// privately, in the channel it came from.
		if got := h.fake.Calls("chat.postEphemeral"); len(got) != 1 || got[0].Params.Get("channel") != "G8PSS9T3V" ||
			!strings.Contains(got[0].Params.Get("text"), "could not find your email") {
			t.Errorf("answer %+v", got)
		}
	})
}

type slackRoundTrip func(*http.Request) (*http.Response, error)

func (f slackRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSlackRefusesUnsignedRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		event := slackFixture(t, "event_app_home_opened.json")
		command := slackFixture(t, "slash_command_cx_mine.txt")
		now := h.clock.Now().Unix()
		cases := []struct {
			name     string
			body     []byte
			ctype    string
			ts       string
			sig      func(ts string, body []byte) string
			dropSig  bool
			dropTime bool
		}{
			{name: "forged signature", body: event, ctype: "application/json", ts: strconv.FormatInt(now, 10),
				sig: func(ts string, b []byte) string { return slackSign("not-the-secret", ts, b) }},
			{name: "six minutes old", body: event, ctype: "application/json", ts: strconv.FormatInt(now-360, 10)},
			{name: "six minutes ahead", body: command, ctype: "application/x-www-form-urlencoded", ts: strconv.FormatInt(now+360, 10)},
			{name: "no signature", body: command, ctype: "application/x-www-form-urlencoded", ts: strconv.FormatInt(now, 10), dropSig: true},
			{name: "no timestamp", body: event, ctype: "application/json", ts: strconv.FormatInt(now, 10), dropTime: true},
			{name: "body changed after signing", body: event, ctype: "application/json", ts: strconv.FormatInt(now, 10),
				sig: func(ts string, b []byte) string { return slackSign(slackSecret, ts, append([]byte(" "), b...)) }},
		}
		for _, tc := range cases {
			req := httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(string(tc.body)))
			req.Header.Set("Content-Type", tc.ctype)
			sig := slackSign(slackSecret, tc.ts, tc.body)
			if tc.sig != nil {
				sig = tc.sig(tc.ts, tc.body)
			}
			if !tc.dropSig {
				req.Header.Set("X-Slack-Signature", sig)
			}
			if !tc.dropTime {
				req.Header.Set("X-Slack-Request-Timestamp", tc.ts)
			}
			if rec := h.serve(req); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", tc.name, rec.Code)
			}
		}
		// A signed body over the limit is refused as too large.
		big := append(bytes.Clone(command), "&pad="+strings.Repeat("x", httpio.MaxBodyBytes)...)
		if rec := h.serve(h.request("application/x-www-form-urlencoded", big)); rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized request: %d, want 413", rec.Code)
		}
		if calls := h.fake.Calls(""); len(calls) != 0 {
			t.Errorf("refused requests reached Slack: %+v", calls)
		}
		// Nothing was processed: the event id is still unseen.
		if first, err := s.FirstSeen(h.ctx, models.TransportSlack, "Ev0HOME0001", h.clock.Now()); err != nil || !first {
			t.Errorf("event recorded by a refused request: %v %v", first, err)
		}
	})
}

func TestSlackURLVerification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		rec := h.serve(h.request("application/json", slackFixture(t, "url_verification.json")))
		if rec.Code != http.StatusOK || rec.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
			t.Fatalf("challenge: %d %q", rec.Code, rec.Body)
		}
	})
}

// A retried event is acknowledged and handled once; the Home tab lists the
// person's cases with their buttons.
func TestSlackEventRetriedOnceAndHomeTab(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.ingest(
			models.ResponseInput{ExternalID: "a", Score: 2, Comment: "Waited an hour"},               // jaan's
			models.ResponseInput{ExternalID: "b", Score: 3, Comment: "Rude on the phone"},            // liis's
			models.ResponseInput{ExternalID: "c", Score: 1, Comment: "Site down", Touchpoint: "web"}, // nobody's
		)
		s.DB().Model(&models.Case{}).Where("id = ?", 1).Update("overdue", true)
		body := slackFixture(t, "event_app_home_opened.json") // user U0LIIS
		for retry := 0; retry < 3; retry++ {
			req := h.request("application/json", body)
			if retry > 0 {
				req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
				req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
			}
			if rec := h.serve(req); rec.Code != http.StatusOK {
				t.Fatalf("delivery %d: %d", retry, rec.Code)
			}
		}
		pubs := h.fake.Calls("views.publish")
		if len(pubs) != 1 {
			t.Fatalf("%d views.publish calls for one event delivered three times", len(pubs))
		}
		if pubs[0].Params.Get("user_id") != "U0LIIS" {
			t.Errorf("published for %q", pubs[0].Params.Get("user_id"))
		}
		home := callText(pubs[0])
		for _, want := range []string{"Your open cases", "Case #2 · Contact Center*", "Rude on the phone", "Log thank-you…",
			"Thank by Tue 09:00 (in 24 h)", "Overdue in your teams", "Case #1 · Contact Center*"} {
			if !strings.Contains(home, want) {
				t.Errorf("home tab lacks %q:\n%s", want, home)
			}
		}
		if strings.Contains(home, "Without an owner") || strings.Contains(home, "Site down") {
			t.Error("a member sees the managers' list")
		}
		// A manager also sees the cases nobody owns.
		ev := slackFixtureJSON(t, "event_app_home_opened.json")
		ev["event_id"] = "Ev0HOME0002"
		ev["event"].(map[string]any)["user"] = "U0MARI"
		b, _ := json.Marshal(ev)
		h.serve(h.request("application/json", b))
		pubs = h.fake.Calls("views.publish")
		if len(pubs) != 2 || !strings.Contains(callText(pubs[1]), "Site down") || !strings.Contains(callText(pubs[1]), "Take it") {
			t.Errorf("manager's home tab: %d publishes\n%s", len(pubs), callText(pubs[len(pubs)-1]))
		}
	})
}

func TestSlackDetractorPassivePromoter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.ingest(models.ResponseInput{ExternalID: "d1", Score: 3, Comment: "Waited 40 minutes on the phone.",
			Customer: models.Customer{Name: "Kadri K.", Email: "kadri@example.com", Phone: "+372 5555 0101"}})
		h.deliver()
		posts := h.fake.Calls("chat.postMessage")
		var cards, dms []slackfake.Call
		for _, c := range posts {
			if c.Params.Get("channel") == "C0CONTACT" {
				cards = append(cards, c)
			} else {
				dms = append(dms, c)
			}
		}
		if len(cards) != 1 || !strings.Contains(strings.Join(cards[0].BlockTexts(), "\n"), "> Waited 40 minutes on the phone.") {
			t.Fatalf("card posts %+v", cards)
		}
		if strings.Contains(callText(cards[0]), "kadri@example.com") || !strings.Contains(callText(cards[0]), "k***@example.com") {
			t.Error("the contact is not masked on the card")
		}
		opens := h.fake.Calls("conversations.open")
		if len(dms) != 1 || len(opens) != 1 || opens[0].Params.Get("users") != "U0JAAN" || !strings.HasPrefix(dms[0].Params.Get("channel"), "D") {
			t.Fatalf("DMs %+v, opens %+v", dms, opens)
		}
		if dm := dms[0].Params.Get("text"); !strings.Contains(dm, "Case #1 is yours") || !strings.Contains(dm, "<https://fake.slack.test/archives/C0CONTACT/p") {
			t.Errorf("DM %q lacks the case or the link to the card", dm)
		}

		before := len(h.fake.Calls(""))
		h.ingest(models.ResponseInput{ExternalID: "p1", Score: 7, Comment: "Fine."})
		h.deliver()
		if after := h.fake.Calls(""); len(after) != before {
			t.Errorf("a passive reached Slack: %+v", after[before:])
		}

		h.ingest(models.ResponseInput{ExternalID: "k1", Score: 10, Comment: "Jaan was wonderful!",
			Attributes: map[string]string{"employee_email": "jaan@example.com"}})
		h.deliver()
		after := h.fake.Calls("")[before:]
		if len(after) == 0 {
			t.Fatal("no kudos")
		}
		for _, c := range after {
			if c.Method == "chat.postMessage" && c.Params.Get("channel") != "C0KUDOS" || c.Method == "conversations.open" {
				t.Errorf("a promoter caused %s to %s", c.Method, c.Params.Get("channel"))
			}
		}
		kudos := after[len(after)-1]
		if kudos.Method != "chat.postMessage" || !strings.Contains(kudos.Params.Get("text"), "Jaan was wonderful!") {
			t.Errorf("kudos %+v", kudos)
		}
	})
}

// The case moves through Take, Assign, Log thank-you and Resolve by buttons
// and modals; each change updates the card in place and adds to its thread.
func TestSlackCaseFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		res := h.ingest(
			models.ResponseInput{ExternalID: "d1", Score: 2, Comment: "Nobody called back."},
			models.ResponseInput{ExternalID: "w1", Score: 1, Comment: "Checkout broke.", Touchpoint: "web"},
		)
		cc, web := res[0].CaseID, res[1].CaseID
		h.deliver()
		ts := h.cardTS(cc, "C0CONTACT")
		webTS := h.cardTS(web, "C0WEB")
		if got := h.caseOf(cc); got.Owner != "jaan@example.com" || got.State != models.StateAssigned {
			t.Fatalf("case %d: %s %s", cc, got.Owner, got.State)
		}

		// Take acts at once. A member may not take a colleague's case, even
		// from an old copy of the card that still offered it.
		h.serve(h.press("U0LIIS", "case.take", cc, "C0CONTACT", ts))
		if got := h.caseOf(cc); got.Owner != "jaan@example.com" {
			t.Fatalf("refused take changed the owner to %s", got.Owner)
		}
		if e := h.ephemerals("U0LIIS"); len(e) != 1 || !strings.Contains(e[0], "only managers of Contact Center can reassign") {
			t.Errorf("refusal %q", e)
		}
		// The manager takes the unowned web case.
		rec := h.card(web, "C0WEB").button("Take it").clickAs("U0MARI")
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Errorf("take answered %d %q", rec.Code, rec.Body)
		}
		if got := h.caseOf(web); got.Owner != "mari@example.com" || got.State != models.StateAssigned {
			t.Fatalf("after take: %s %s", got.Owner, got.State)
		}
		h.deliver()
		h.expectCardUpdated("C0WEB", webTS, 1, "Mari: took the case")

		// Assign: a member is refused before any form opens.
		h.card(cc, "C0CONTACT").button("Assign…").clickAs("U0JAAN")
		if n := len(h.fake.Calls("views.open")); n != 0 {
			t.Fatalf("a member got the assign form (%d views.open)", n)
		}
		if e := h.ephemerals("U0JAAN"); len(e) != 1 || e[0] != "Only managers of Contact Center can reassign." {
			t.Errorf("member pressing assign was told %q", e)
		}
		// The manager gets the form, with the interaction's trigger.
		h.card(cc, "C0CONTACT").button("Assign…").clickAs("U0MARI")
		trigger, view := h.openedView()
		if trigger != "trigger-U0MARI-case.assign-1" || view["callback_id"] != cxslack.ModalAssign {
			t.Fatalf("assign modal: trigger %q, view %v", trigger, view["callback_id"])
		}
		meta := view["private_metadata"].(string)
		// Someone outside the team is refused on the field.
		rec = h.serve(h.submitView("U0MARI", cxslack.ModalAssign, meta, map[string]map[string]any{
			"assignee": {"assignee_select": map[string]any{"type": "users_select", "selected_user": "U0OUTSIDER"}}}))
		var errs struct {
			Action string            `json:"response_action"`
			Errors map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &errs); err != nil || errs.Action != "errors" ||
			!strings.Contains(errs.Errors["assignee"], "outsider@example.com is not a member or manager of Contact Center") {
			t.Fatalf("assigning an outsider answered %d %s", rec.Code, rec.Body)
		}
		// A member who submits the form anyway (an old modal) is refused privately.
		rec = h.serve(h.submitView("U0JAAN", cxslack.ModalAssign, meta, map[string]map[string]any{
			"assignee": {"assignee_select": map[string]any{"type": "users_select", "selected_user": "U0LIIS"}}}))
		if rec.Body.Len() != 0 {
			t.Errorf("refused submission answered %s; want the modal closed", rec.Body)
		}
		if e := h.ephemerals("U0JAAN"); len(e) != 2 || e[1] != "Only managers of Contact Center can reassign." ||
			h.fake.Calls("chat.postEphemeral")[len(h.fake.Calls("chat.postEphemeral"))-1].Params.Get("channel") != "C0CONTACT" {
			t.Errorf("member's submission was told %q", e)
		}
		if got := h.caseOf(cc); got.Owner != "jaan@example.com" {
			t.Fatalf("refused assign changed the owner to %s", got.Owner)
		}
		rec = h.serve(h.submitView("U0MARI", cxslack.ModalAssign, meta, map[string]map[string]any{
			"assignee": {"assignee_select": map[string]any{"type": "users_select", "selected_user": "U0LIIS"}}}))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("assign answered %d %q; want the modal closed", rec.Code, rec.Body)
		}
		if got := h.caseOf(cc); got.Owner != "liis@example.com" {
			t.Fatalf("owner %s after assign", got.Owner)
		}
		dmsBefore := len(h.fake.Calls("conversations.open"))
		h.deliver()
		h.expectCardUpdated("C0CONTACT", ts, 1, "Mari: assigned the case to liis")
		if opens := h.fake.Calls("conversations.open")[dmsBefore:]; len(opens) != 1 || opens[0].Params.Get("users") != "U0LIIS" {
			t.Errorf("the new owner was not told: %+v", opens)
		}

		// Log thank-you: the fixtures' button press and submission, as liis.
		press := slackFixtureJSON(t, "block_actions_button.json")
		press["actions"].([]any)[0].(map[string]any)["value"] = strconv.FormatInt(cc, 10)
		press["container"].(map[string]any)["message_ts"] = ts
		h.serve(h.interaction(press))
		_, view = h.openedView()
		if view["callback_id"] != cxslack.ModalThank {
			t.Fatalf("thank modal %v", view["callback_id"])
		}
		p := slackFixtureJSON(t, "view_submission.json")
		p["view"].(map[string]any)["private_metadata"] = strconv.FormatInt(cc, 10)
		rec = h.serve(h.interaction(p))
		if rec.Body.Len() != 0 {
			t.Fatalf("thank answered %s", rec.Body)
		}
		if got := h.caseOf(cc); got.State != models.StateThanked || got.ThankMethod != "call" {
			t.Fatalf("after thank: %s %q", got.State, got.ThankMethod)
		}
		h.deliver()
		h.expectCardUpdated("C0CONTACT", ts, 2, "liis: thanked the customer (Call) — Called Kadri")

		// Resolve: the note is required; then systemic, into the backlog.
		h.card(cc, "C0CONTACT").button("Resolve…").clickAs("U0LIIS")
		_, view = h.openedView()
		meta = view["private_metadata"].(string)
		// Root causes show as the YAML writes them (or its label in the reader's language).
		if !strings.Contains(callText(slackfake.Call{Body: slackJSON(view)}), "process") {
			t.Errorf("resolve modal lacks the root causes: %v", view)
		}
		rec = h.serve(h.submitView("U0LIIS", cxslack.ModalResolve, meta, map[string]map[string]any{
			"root_cause": {"root_cause_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "process"}}},
			"note":       {"note_input": map[string]any{"type": "plain_text_input", "value": "  "}}}))
		if !strings.Contains(rec.Body.String(), `"note":"Say what was done for the customer."`) {
			t.Fatalf("resolve without a note answered %s", rec.Body)
		}
		rec = h.serve(h.submitView("U0LIIS", cxslack.ModalResolve, meta, map[string]map[string]any{
			"root_cause": {"root_cause_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "process"}}},
			"note":       {"note_input": map[string]any{"type": "plain_text_input", "value": "Callback queue fixed."}},
			"systemic":   {"systemic_check": map[string]any{"type": "checkboxes", "selected_options": []any{map[string]any{"value": "systemic"}}}}}))
		if rec.Body.Len() != 0 {
			t.Fatalf("resolve answered %s", rec.Body)
		}
		got := h.caseOf(cc)
		if got.State != models.StateResolved || got.RootCause != "process" || !got.Systemic || got.ImprovementID == nil {
			t.Fatalf("after resolve: %+v", got)
		}
		h.deliver()
		h.expectCardUpdated("C0CONTACT", ts, 3, "liis: resolved (root cause: process, systemic)")
		if got := strings.Join(h.card(cc, "C0CONTACT").labels(), ", "); got != "Reopen, Show contact" {
			t.Errorf("a resolved card offers %s", got)
		}
		if n := len(h.fake.Calls("chat.update")); n != 4 {
			t.Errorf("%d chat.update calls, want 4", n)
		}

		// No contact on the web case, then the manager reopens the resolved one.
		h.card(web, "C0WEB").button("No contact…").clickAs("U0MARI")
		_, view = h.openedView()
		if view["callback_id"] != cxslack.ModalNoContact {
			t.Fatalf("no-contact modal %v", view["callback_id"])
		}
		rec = h.serve(h.submitView("U0MARI", cxslack.ModalNoContact, view["private_metadata"].(string), map[string]map[string]any{
			"reason": {"reason_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "anonymous"}}}}))
		if got := h.caseOf(web); rec.Body.Len() != 0 || got.State != models.StateNoContact || got.NoContactReason != "anonymous" {
			t.Fatalf("no contact: %s, %s %q", rec.Body, got.State, got.NoContactReason)
		}
		h.card(cc, "C0CONTACT").button("Reopen").clickAs("U0LIIS")
		if e := h.ephemerals("U0LIIS"); len(e) != 2 || e[1] != "Only managers of Contact Center can reopen." {
			t.Errorf("member reopening was told %q", e)
		}
		h.card(cc, "C0CONTACT").button("Reopen").clickAs("U0MARI")
		if got := h.caseOf(cc); got.State != models.StateAssigned || got.Owner != "liis@example.com" {
			t.Errorf("after reopen: %s %s", got.State, got.Owner)
		}
		h.deliver()
		h.expectCardUpdated("C0WEB", webTS, 2, "Mari: closed without contact (Anonymous response)")
		h.expectCardUpdated("C0CONTACT", ts, 4, "Mari: reopened the case")
	})
}

// expectCardUpdated checks that the card at ts was updated in place (updates
// times in all) and that its thread's latest line says line.
func (h *slackHarness) expectCardUpdated(channel, ts string, updates int, line string) {
	h.t.Helper()
	m, ok := h.fake.Message(channel, ts)
	if !ok || m.Updates != updates {
		h.t.Errorf("card %s/%s: found %v, %d updates; want %d", channel, ts, ok, m.Updates, updates)
	}
	for _, c := range h.fake.Calls("chat.update") {
		if c.Params.Get("channel") == channel && c.Params.Get("ts") != ts {
			h.t.Errorf("chat.update at ts %s, the card is at %s", c.Params.Get("ts"), ts)
		}
	}
	var last string
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Params.Get("channel") == channel && c.Params.Get("thread_ts") == ts {
			last = c.Params.Get("text")
		}
	}
	if !strings.HasPrefix(last, line) {
		h.t.Errorf("thread of %s: last line %q, want %q", ts, last, line)
	}
}

func slackJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func TestSlackCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.ingest(models.ResponseInput{ExternalID: "d1", Score: 2, Comment: "Waited an hour"}) // case 1, jaan's
		tests := []struct {
			user, text string
			want       string
			cards      int
		}{
			{"U0JAAN", "mine", "You have 1 open case", 1},
			{"U0MARI", "mine", "You have no open cases", 0},
			{"U0JAAN", "", "```Commands:", 0},
			{"U0JAAN", "frobnicate", "I don't know \"frobnicate\"", 0},
			{"U0JAAN", "show", "Usage: show CASE", 0},
			{"U0JAAN", "show abc", "Usage: show CASE", 0},
			{"U0JAAN", "show 999", "There is no case #999.", 0},
			{"U0JAAN", "show #1", "Case #1 — history:", 1},
			{"U0MARI", "assign 1", "Usage: assign CASE @person", 0},
			{"U0MARI", "assign x <@U0LIIS|liis>", "Usage: assign CASE", 0},
			{"U0MARI", "assign 1 <@U0NOBODY|nobody>", "I could not tell who &lt;@U0NOBODY&gt; is", 0},
			{"U0JAAN", "assign 1 <@U0LIIS|liis>", "Only managers of Contact Center can reassign.", 0},
			{"U0MARI", "assign 1 <@U0OUTSIDER|someone else>", "outsider@example.com is not a member or manager of Contact Center.", 0},
			{"U0MARI", "assign 1 <@U0LIIS|liis k>", "Case #1 is now assigned to liis@example.com.", 0},
			{"U0LIIS", "mine", "You have 1 open case", 1},
			{"U0MARI", "team", "Not found on this platform: ghost@example.com", 0},
			{"U0OUTSIDER", "note 1 hello", "Only members of Contact Center can add notes", 0},
			{"U0LIIS", "note 1 waits &lt; 5 min &amp;&amp; &lt;b&gt;", "Note added to case #1.", 0},
		}
		for _, tt := range tests {
			c := h.slash(tt.user, tt.text)
			text := c.Params.Get("text")
			var blocks []map[string]any
			_ = json.Unmarshal([]byte(c.Params.Get("blocks")), &blocks)
			cards := 0
			for _, b := range blocks {
				if b["type"] == "header" {
					cards++
				}
			}
			if !strings.Contains(text, tt.want) || cards != tt.cards || c.Params.Get("response_type") != "ephemeral" {
				t.Errorf("%s /cx %s → %q with %d cards (%s); want %q with %d", tt.user, tt.text, text, cards,
					c.Params.Get("response_type"), tt.want, tt.cards)
			}
		}
		if got := h.caseOf(1); got.Owner != "liis@example.com" {
			t.Errorf("owner %s", got.Owner)
		}
		// The note is kept as typed: Slack's entities decoded once.
		v, _ := s.CaseView(h.ctx, 1)
		if last := v.Events[len(v.Events)-1].Detail; last != "note: waits < 5 min && <b>" {
			t.Errorf("note stored as %q", last)
		}
		// The directory answered from the database after the first lookups.
		if n := len(h.fake.Calls("users.info")); n > 6 {
			t.Errorf("%d users.info calls: the directory does not cache", n)
		}
	})
}

// No untrusted text becomes a live mention or link anywhere cxloop writes to
// Slack: cards, DMs, threads, kudos, command answers, contact details, the
// full comment and the Home tab.
func TestSlackMentionsNeverLive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		evil := "Hi <!channel> <!here> <!everyone> <@U0EVIL> <@U0EVIL|boss> <#C0GENERAL> <#C0GENERAL|general> " +
			"<!subteam^S0TEAM> <!subteam^S0TEAM|@team> <!date^1392734382^{date}|x> <https://evil.example|click me> " +
			"<mailto:x@evil.example|mail> @channel @here @everyone &lt;@U0EVIL&gt; https://evil.example/phish"
		res := h.ingest(
			models.ResponseInput{ExternalID: "d1", Score: 1, Comment: evil + "\n" + strings.Repeat("long ", 700) + "<!channel>",
				Touchpoint: "<#C0GENERAL>", Customer: models.Customer{Name: "<!here> Kadri", Email: "kadri.evil@example.com", Phone: "<!channel>"},
				Attributes: map[string]string{"product": "<@U0EVIL>", "<!here>": "x"}},
			models.ResponseInput{ExternalID: "k1", Score: 10, Comment: evil,
				Attributes: map[string]string{"employee_email": "<@U0EVIL>"}},
		)
		id := res[0].CaseID
		h.deliver()
		ts := h.cardTS(id, "C0CONTACT")
		h.serve(h.press("U0JAAN", "case.show_contact", id, "C0CONTACT", ts))
		h.serve(h.press("U0LIIS", cxslack.ActionFullComment, id, "C0CONTACT", ts))
		h.slash("U0JAAN", "show 1")
		h.slash("U0JAAN", "note 1 "+evil)
		h.deliver()
		h.serve(h.request("application/json", slackFixture(t, "event_app_home_opened.json")))
		ev := slackFixtureJSON(t, "event_app_home_opened.json")
		ev["event_id"], ev["event"].(map[string]any)["user"] = "Ev0HOME0009", "U0JAAN"
		h.serve(h.request("application/json", slackJSON(ev)))
		if _, err := h.msgr.PostKudos(h.ctx, "C0KUDOS", "en", models.Response{Metric: "nps", Score: 10, Comment: evil,
			Attributes: map[string]string{"employee_email": "jaan@example.com"}}); err != nil {
			t.Fatal(err)
		}

		seen := map[string]bool{}
		for _, c := range h.fake.Calls("") {
			seen[c.Method] = true
			for _, s := range callTexts(c) {
				for _, live := range []string{"<!channel", "<!here", "<!everyone", "<@U0EVIL", "<#C0GENERAL", "<!subteam", "<!date^1392734382",
					"<https://evil", "<mailto:", "@channel", "@here", "@everyone"} {
					if strings.Contains(s, live) {
						t.Errorf("%s carries a live %q: %.300q", c.Method, live, s)
					}
				}
			}
		}
		for _, m := range []string{"chat.postMessage", "chat.update", "chat.postEphemeral", slackfake.MethodResponseURL, "views.publish"} {
			if !seen[m] {
				t.Errorf("no %s call was checked", m)
			}
		}
		// The contact was shown to the owner, unmasked but inert (an email
		// address that could mention someone is refused at ingestion).
		if e := h.ephemerals("U0JAAN"); len(e) == 0 || !strings.Contains(e[0], "kadri.evil@example.com") || !strings.Contains(e[0], "&lt;!here&gt; Kadri") {
			t.Errorf("contact answer %q", e)
		}
		// The kudos mention of a real employee is live; the customer's are not.
		kudos := h.fake.Calls("chat.postMessage")
		if last := kudos[len(kudos)-1].Params.Get("text"); !strings.HasSuffix(last, "Thanks go to <@U0JAAN>.") {
			t.Errorf("kudos %q", last)
		}
	})
}

// Slash commands and interactions are acknowledged at once, even while
// Slack itself does not answer.
func TestSlackAcknowledgesWhileSlackHangs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.app.SubmitWait = 200 * time.Millisecond
		h.ingest(models.ResponseInput{ExternalID: "d1", Score: 2})
		h.fake.FailNext("users.info", 100, slackfake.Hang(0))
		h.fake.FailNext("views.open", 100, slackfake.Hang(0))

		form := "command=%2Fcx&text=mine&user_id=U0JAAN&channel_id=C0CONTACT&response_url=" + h.fake.ResponseURL("hang")
		requests := map[string]*http.Request{
			"slash command": h.request("application/x-www-form-urlencoded", []byte(form)),
			"button":        h.press("U0MARI", "case.assign", 1, "C0CONTACT", "1.000001"),
			"take":          h.press("U0LIIS", "case.take", 1, "C0CONTACT", "1.000001"),
			"submission": h.submitView("U0MARI", cxslack.ModalAssign, `{"case":1,"channel":"C0CONTACT"}`, map[string]map[string]any{
				"assignee": {"assignee_select": map[string]any{"type": "users_select", "selected_user": "U0LIIS"}}}),
			"event": h.request("application/json", slackFixture(t, "event_app_home_opened.json")),
		}
		for name, req := range requests {
			answered := make(chan *httptest.ResponseRecorder, 1)
			go func() {
				rec := httptest.NewRecorder()
				h.app.ServeHTTP(rec, req)
				answered <- rec
			}()
			deadline := time.NewTimer(2500 * time.Millisecond) // Slack allows 3 s
			select {
			case rec := <-answered:
				if rec.Code != http.StatusOK {
					t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
				}
			case <-deadline.C:
				t.Fatalf("%s: no answer within Slack's window while Slack hangs", name)
			}
			deadline.Stop()
		}
		// The work behind the answers is underway, held up by Slack.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := h.fake.WaitCalls(ctx, "users.info", 3); err != nil {
			t.Error(err)
		}
	})
}

func TestSlackDirectoryCachesInTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		ctx := h.ctx
		if id, err := h.dir.UserID(ctx, "Liis@Example.com"); err != nil || id != "U0LIIS" {
			t.Fatalf("UserID: %q %v", id, err)
		}
		// Another replica (a new directory on the same database) asks Slack no more.
		other := cxslack.NewCachedDirectory(s, cxslack.NewClient(slackToken, h.fake.URL(), nil), h.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if id, err := other.UserID(ctx, "liis@example.com"); err != nil || id != "U0LIIS" {
			t.Fatalf("cached UserID: %q %v", id, err)
		}
		if n := len(h.fake.Calls("users.lookupByEmail")); n != 1 {
			t.Errorf("%d lookups, want 1", n)
		}
		// Nobody has ghost@'s email: remembered for an hour, then asked again.
		for i := 0; i < 2; i++ {
			if _, err := other.UserID(ctx, "ghost@example.com"); !cxslack.IsUserNotFound(err) {
				t.Fatalf("ghost: %v", err)
			}
		}
		if n := len(h.fake.Calls("users.lookupByEmail")); n != 2 {
			t.Errorf("%d lookups after two misses, want 2", n)
		}
		h.fake.AddUser("ghost@example.com", "U0GHOST")
		h.clock.Advance(61 * time.Minute)
		if id, err := other.UserID(ctx, "ghost@example.com"); err != nil || id != "U0GHOST" {
			t.Errorf("ghost after joining: %q %v", id, err)
		}
		// A day later the answer is refreshed; when Slack fails, the old one serves.
		h.clock.Advance(25 * time.Hour)
		h.fake.FailNext("users.lookupByEmail", 1, slackfake.ServerError())
		if id, err := other.UserID(ctx, "liis@example.com"); err != nil || id != "U0LIIS" {
			t.Errorf("stale answer while Slack fails: %q %v", id, err)
		}
		// Emails by user id, for actors.
		if e, err := h.dir.Email(ctx, "U0MARI"); err != nil || e != "mari@example.com" {
			t.Errorf("Email: %q %v", e, err)
		}
		if e, err := other.Email(ctx, "U0MARI"); err != nil || e != "mari@example.com" || len(h.fake.Calls("users.info")) != 1 {
			t.Errorf("cached Email: %q %v after %d users.info", e, err, len(h.fake.Calls("users.info")))
		}
		if _, err := h.dir.Email(ctx, "<@U0MARI>"); err == nil {
			t.Error("Email accepted something that is not a user id")
		}
		missing, err := h.dir.Refresh(ctx, cxslack.ConfiguredEmails(h.pol))
		if err != nil || len(missing) != 0 {
			t.Errorf("refresh: %v %v", missing, err)
		}
		if got := h.dir.Unresolved(ctx, []string{"nobody@example.com", "liis@example.com", "NOBODY@example.com"}); len(got) != 1 || got[0] != "nobody@example.com" {
			t.Errorf("unresolved %v", got)
		}
	})
}

// A case shown privately offers the asker only the buttons their role
// lets them use: the owner their follow-ups, a colleague no Assign, the
// manager everything, someone outside the team none.
func TestSlackPrivateCardOffersWhatTheAskerMayUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		h := newSlackHarness(t, s)
		h.ingest(models.ResponseInput{ExternalID: "d1", Score: 2, Comment: "Waited an hour"}) // case 1, jaan's
		for _, tt := range []struct {
			user       string
			has, lacks []string
		}{
			{"U0JAAN", []string{"case.thank", "case.resolve"}, []string{"case.assign"}},
			{"U0LIIS", nil, []string{"case.assign", "case.thank", "case.resolve"}},
			{"U0MARI", []string{"case.assign", "case.thank"}, nil},
			{"U0OUTSIDER", nil, []string{"case.assign", "case.thank", "case.show_contact"}},
		} {
			blocks := h.slash(tt.user, "show 1").Params.Get("blocks")
			if !strings.Contains(blocks, "Waited an hour") {
				t.Fatalf("%s got no card: %s", tt.user, blocks)
			}
			for _, a := range tt.has {
				if !strings.Contains(blocks, `"`+a+`"`) {
					t.Errorf("%s is not offered %s", tt.user, a)
				}
			}
			for _, a := range tt.lacks {
				if strings.Contains(blocks, `"`+a+`"`) {
					t.Errorf("%s is offered %s", tt.user, a)
				}
			}
		}
	})
}
