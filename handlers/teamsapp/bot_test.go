package teamsapp_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/handlers/chatops"
	"github.com/cxloop/cxloop/handlers/httpio"
	"github.com/cxloop/cxloop/handlers/teamsapp"
	"github.com/cxloop/cxloop/jobs"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// The fake roster: the fixtures' sender (Alice's account) is jaan.
const (
	liisID = "29:liis-teams-id"
	mariID = "29:mari-teams-id"
)

type teamsEnv struct {
	t     *testing.T
	s     *models.Store
	p     *models.Policy
	clock *models.FixedClock
	fake  *teamsfake.Fake
	v     *teams.Validator
	msgr  *teams.Messenger
	h     *teamsapp.Bot
	d     *jobs.Deliverer
	ctx   context.Context
}

func newTeamsEnv(t *testing.T, s *models.Store) *teamsEnv {
	t.Helper()
	clock := models.NewFixedClock(time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC))
	fake := teamsfake.New(t, clock.Now)
	fake.SetMembers(
		teamsfake.Member{ID: teamsfake.AliceID, Name: "Jaan Tamm", AADObjectID: "6b4b2c1e-3f7a-4d2b-9c10-2a5e8f0d1b77", Email: "Jaan@example.com"},
		teamsfake.Member{ID: liisID, Name: "Liis", AADObjectID: "aad-liis", UPN: "liis@example.com"},
		teamsfake.Member{ID: mariID, Name: "Mari", AADObjectID: "aad-mari", Email: "mari@example.com"},
	)
	p := &models.Policy{
		Location: time.UTC, DefaultTeam: "cc", Segments: models.DefaultThresholds(), RootCauses: []string{"process", "product"},
		Teams: []models.TeamPolicy{{ID: "cc", Name: "Contact Center", Members: []string{"jaan@example.com", "liis@example.com"},
			Managers: []string{"mari@example.com"}, Assign: models.AssignRoundRobin,
			Destinations: []models.Destination{{Transport: "teams", Channel: teamsfake.ChannelID}}}},
		SLA: models.SLAPolicy{ThankYou: 24 * time.Hour, Resolution: 72 * time.Hour}, DMTransports: []string{"teams"},
	}
	v, err := teams.NewValidator(teamsfake.AppID, fake.MetadataURL(), teams.WithValidatorClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	conn := teams.NewConnector(teams.ConnectorConfig{AppID: teamsfake.AppID, AppPassword: teamsfake.Password,
		TokenURL: fake.TokenURL(), Now: clock.Now})
	msgr := teams.NewMessenger(conn, s, p, teams.WithTenant(teamsfake.TenantID),
		teams.WithDirectory(teams.NewDirectory(s, conn, clock.Now)))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &teamsapp.Bot{Store: s, Policy: p, Clock: clock, Log: log, Ops: &chatops.ChatOps{Store: s, Policy: p, Clock: clock},
		Adapter: teams.NewAdapter(teamsfake.AppID, teamsfake.Password, v, conn), Messenger: msgr}
	h.Ops.PlatformStatus = append(h.Ops.PlatformStatus, h.TeamStatus) // as serve wires it
	d := &jobs.Deliverer{Store: s, Policy: p, Clock: clock, Log: log, Messengers: map[string]bot.Messenger{"teams": msgr}}
	return &teamsEnv{t: t, s: s, p: p, clock: clock, fake: fake, v: v, msgr: msgr, h: h, d: d, ctx: context.Background()}
}

// post sends a signed activity and returns the answer.
func (e *teamsEnv) post(act map[string]any) *httptest.ResponseRecorder {
	return e.postWith(act, e.fake.Sign(e.fake.Claims()))
}

func (e *teamsEnv) postWith(act map[string]any, token string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, e.fake.RequestWithToken("/api/messages", act, token))
	return rec
}

func (e *teamsEnv) install() {
	e.t.Helper()
	if rec := e.post(e.fake.Fixture("conversation-update-bot-added-to-team")); rec.Code != 200 {
		e.t.Fatalf("install: %d %s", rec.Code, rec.Body)
	}
}

// deliver runs the delivery worker until nothing is due, letting the clock
// pass the outbox's per-conversation pacing (never more than a few seconds).
func (e *teamsEnv) deliver() {
	e.t.Helper()
	idle := 0
	for i := 0; i < 30 && idle < 2; i++ {
		n, err := e.d.RunOnce(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			idle++
			e.clock.Advance(200 * time.Millisecond)
		} else {
			idle = 0
		}
	}
}

func (e *teamsEnv) detractor(id, comment string) int64 {
	e.t.Helper()
	in := models.ResponseInput{Source: "web", ExternalID: id, Metric: "nps", Score: 2, Comment: comment,
		// A customer per response: one customer's second answer would join the first case.
		Customer: models.Customer{ID: "c-" + id, Name: "Kadri K.", Email: "kadri@example.com", Phone: "+372 5555 0101"}}
	in.Normalize(e.clock.Now())
	res, err := e.s.Ingest(e.ctx, e.p, e.clock.Now(), []models.ResponseInput{in}, models.IngestOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return res[0].CaseID
}

// invoke presses a card button as Teams sends it: an Action.Execute with
// verb and data, from a client set to locale (the fixture's when empty).
func (e *teamsEnv) invoke(locale, from, verb string, data map[string]any) (*httptest.ResponseRecorder, teamsapp.InvokeResponse) {
	e.t.Helper()
	act := e.fake.Fixture("invoke-adaptive-card-action-execute")
	act["id"] = fmt.Sprintf("f:%s-%d", verb, time.Now().UnixNano())
	act["from"] = map[string]any{"id": from}
	if locale != "" {
		act["locale"] = locale
	}
	withVerb := map[string]any{"verb": verb}
	for k, v := range data {
		withVerb[k] = v
	}
	act["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": withVerb}, "trigger": "manual"}
	rec := e.post(act)
	var resp teamsapp.InvokeResponse
	if rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			e.t.Fatalf("invoke answer %s: %v", rec.Body, err)
		}
	}
	return rec, resp
}

// execute presses a case card's button as the fixtures' invoke does.
func (e *teamsEnv) execute(from string, verb string, caseID int64, inputs map[string]any) (*httptest.ResponseRecorder, teamsapp.InvokeResponse) {
	e.t.Helper()
	data := map[string]any{"caseId": caseID}
	for k, v := range inputs {
		data[k] = v
	}
	return e.invoke("", from, verb, data)
}

// invokeOK is invoke for a press that must be answered.
func (e *teamsEnv) invokeOK(locale, from, verb string, data map[string]any) teamsapp.InvokeResponse {
	e.t.Helper()
	rec, resp := e.invoke(locale, from, verb, data)
	if rec.Code != 200 {
		e.t.Fatalf("invoke %s: %d %s", verb, rec.Code, rec.Body)
	}
	return resp
}

func (e *teamsEnv) caseOf(id int64) models.Case {
	e.t.Helper()
	v, err := e.s.CaseView(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return v.Case
}

func callsWhere(calls []teamsfake.Call, ok func(teamsfake.Call) bool) []teamsfake.Call {
	var out []teamsfake.Call
	for _, c := range calls {
		if ok(c) {
			out = append(out, c)
		}
	}
	return out
}

func isChannelPost(c teamsfake.Call) bool {
	if c.Method != "POST" || c.Path != "/v3/conversations" {
		return false
	}
	cd, _ := c.Body["channelData"].(map[string]any)
	ch, _ := cd["channel"].(map[string]any)
	return ch["id"] == teamsfake.ChannelID
}

func cardText(card map[string]any) string {
	b, _ := json.Marshal(card)
	return string(b)
}

func TestTeamsLoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		ref, err := e.msgr.Conversations().Get(e.ctx, teamsfake.TeamID)
		if err != nil || !ref.Installed || ref.ServiceURL != e.fake.ServiceURL() || ref.BotID != teamsfake.BotID || ref.TenantID != teamsfake.TenantID {
			t.Fatalf("team reference %+v, %v", ref, err)
		}
		if ch, err := e.msgr.Conversations().Get(e.ctx, teamsfake.ChannelID); err != nil || ch.TeamID != teamsfake.TeamID || ch.ChannelName != "Feedback" {
			t.Fatalf("channel reference %+v, %v", ch, err)
		}

		caseID := e.detractor("r1", "Waited 40 minutes [click](https://evil.example) <at>everyone</at> **now**")
		e.fake.Reset()
		e.deliver()
		calls := e.fake.Calls()
		posts := callsWhere(calls, isChannelPost)
		if len(posts) != 1 {
			t.Fatalf("want one card posted to the channel, got %d: %+v", len(posts), calls)
		}
		card := teamsfake.CardOf(posts[0])
		if card == nil || card["version"] != "1.5" || !strings.Contains(cardText(card), "Action.Execute") {
			t.Fatalf("posted card: %v", card)
		}
		if txt := cardText(card); !strings.Contains(txt, `"text":"Waited 40 minutes [click](https://evil.example) \u003cat\u003eeveryone\u003c/at\u003e **now**","type":"TextRun"`) ||
			!strings.Contains(txt, "k***@example.com") || strings.Contains(txt, "kadri@example.com") {
			t.Errorf("comment must be an inert TextRun and the contact masked: %s", txt)
		}
		creates := callsWhere(calls, func(c teamsfake.Call) bool {
			return c.Method == "POST" && c.Path == "/v3/conversations" && !isChannelPost(c)
		})
		dms := callsWhere(calls, func(c teamsfake.Call) bool {
			return c.Method == "POST" && c.Conversation == "a:personal-"+teamsfake.AliceID
		})
		// The install's welcome is the one other new thread (in General).
		var chats int
		for _, c := range creates {
			if c.Body["isGroup"] != true {
				chats++
			}
		}
		if chats != 1 || len(dms) != 1 || teamsfake.CardOf(dms[0]) == nil {
			t.Fatalf("want one DM (a 1:1 chat and one card in it), got chats=%d dms=%d: %+v", chats, len(dms), calls)
		}
		cr, err := s.CardRef(e.ctx, caseID, "teams", teamsfake.ChannelID)
		if err != nil {
			t.Fatal(err)
		}
		conv, actID, _ := strings.Cut(cr.Ref, "|")
		if !strings.HasPrefix(conv, teamsfake.ChannelID+";messageid=") || actID == "" || !strings.HasSuffix(conv, actID) {
			t.Fatalf("card reference %q", cr.Ref)
		}

		// Thank, from the form the owner's card opens: the answer is the refreshed card.
		owners := e.cardFor(caseID, teamsfake.AliceID)
		if got := owners.titles(); len(got) == 0 || got[0] != "Log thank-you…" {
			t.Errorf("the owner's card offers %q; want the thank-you first", got)
		}
		resp := owners.action("Log thank-you…").press(map[string]any{"method": "call", "thankNote": "apologised"})
		if resp.StatusCode != 200 || resp.Type != "application/vnd.microsoft.card.adaptive" {
			t.Fatalf("thank: %+v", resp)
		}
		if got := e.caseOf(caseID); got.State != models.StateThanked || got.ThankMethod != "call" {
			t.Fatalf("after thank: %+v", got)
		}
		if !strings.Contains(cardText(resp.Value.(map[string]any)), "Thanked") {
			t.Errorf("refreshed card does not say Thanked: %v", resp.Value)
		}
		e.fake.Reset()
		e.deliver()
		puts := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Method == "PUT" && c.Conversation == conv })
		if len(puts) != 1 || puts[0].Conversation != conv || puts[0].Activity != actID || !strings.Contains(cardText(teamsfake.CardOf(puts[0])), "Thanked") {
			t.Fatalf("want the card updated by PUT at %s/%s, got %+v", conv, actID, e.fake.Calls())
		}
		replies := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Method == "POST" && c.Conversation == conv })
		if len(replies) != 1 || !strings.Contains(teamsfake.TextOf(replies[0]), "thanked the customer") {
			t.Fatalf("want one line in the thread, got %+v", replies)
		}

		// Resolve, systemic.
		resp = e.cardFor(caseID, teamsfake.AliceID).action("Resolve…").press(map[string]any{"rootCause": "process", "resolution": "refunded the fee", "systemic": "true"})
		if resp.Type != "application/vnd.microsoft.card.adaptive" || !strings.Contains(cardText(resp.Value.(map[string]any)), "Resolved") {
			t.Fatalf("resolve answer %+v", resp)
		}
		got := e.caseOf(caseID)
		if got.State != models.StateResolved || got.RootCause != "process" || !got.Systemic || got.ImprovementID == nil {
			t.Fatalf("after resolve: %+v", got)
		}
		e.fake.Reset()
		e.deliver()
		puts = callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Method == "PUT" && c.Conversation == conv })
		if len(puts) != 1 || puts[0].Activity != actID || !strings.Contains(cardText(teamsfake.CardOf(puts[0])), "Resolved") {
			t.Fatalf("want the card updated to Resolved, got %+v", e.fake.Calls())
		}
		counts, _ := s.OutboxCounts(e.ctx)
		if counts[models.OutboxPending] != 0 || counts[models.OutboxFailed] != 0 {
			t.Errorf("outbox %v", counts)
		}

		// The same invoke delivered twice acts once.
		act := e.fake.Fixture("invoke-adaptive-card-action-execute")
		act["from"] = map[string]any{"id": teamsfake.AliceID}
		act["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": "reopen", "data": map[string]any{"caseId": caseID}}}
		e.post(act)
		e.post(act)
		v, _ := s.CaseView(e.ctx, caseID)
		reopens := 0
		for _, ev := range v.Events {
			if ev.Kind == "reopen" {
				reopens++
			}
		}
		if reopens != 0 {
			// jaan is a member, not a manager: reopen is refused both times.
			t.Errorf("reopen by a member went through %d times", reopens)
		}
	})
}

func TestTeamsRolesAndMentions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		jaans := e.detractor("r1", "slow")
		liiss := e.detractor("r2", "fees")
		if e.caseOf(jaans).Owner != "jaan@example.com" || e.caseOf(liiss).Owner != "liis@example.com" {
			t.Fatalf("owners: %s, %s", e.caseOf(jaans).Owner, e.caseOf(liiss).Owner)
		}
		e.deliver()
		before, _ := s.OutboxCounts(e.ctx)

		// A member assigning a colleague's case is refused; nothing changes.
		_, resp := e.execute(teamsfake.AliceID, "assign", liiss, map[string]any{"assignee": "jaan@example.com"})
		if resp.Type != "application/vnd.microsoft.activity.message" || !strings.Contains(fmt.Sprint(resp.Value), "Only managers of Contact Center can reassign") {
			t.Fatalf("refusal answer %+v", resp)
		}
		// The Action.Submit fallback is refused the same way, privately.
		e.fake.Reset()
		sub := e.fake.Fixture("message-adaptive-card-action-submit")
		sub["value"] = map[string]any{"verb": "assign", "caseId": fmt.Sprint(liiss), "assignee": "jaan@example.com"}
		if rec := e.post(sub); rec.Code != 200 {
			t.Fatalf("submit: %d", rec.Code)
		}
		private := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Conversation == "a:personal-"+teamsfake.AliceID })
		if len(private) != 1 || !strings.Contains(teamsfake.TextOf(private[0]), "reassign") {
			t.Fatalf("want the refusal in jaan's private chat, got %+v", e.fake.Calls())
		}
		if c := e.caseOf(liiss); c.Owner != "liis@example.com" {
			t.Fatalf("refused assignment changed the owner to %s", c.Owner)
		}
		if after, _ := s.OutboxCounts(e.ctx); after[models.OutboxPending] != before[models.OutboxPending] {
			t.Errorf("a refused action queued messages: %v → %v", before, after)
		}

		// Show contact: the owner gets the details in a private chat; the
		// invoke answers with a message, not a card, so nothing leaks.
		e.fake.Reset()
		_, resp = e.execute(teamsfake.AliceID, "show_contact", jaans, nil)
		private = callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Conversation == "a:personal-"+teamsfake.AliceID })
		if resp.Type != "application/vnd.microsoft.activity.message" || len(private) != 1 ||
			!strings.Contains(teamsfake.TextOf(private[0]), "Email: kadri@example.com") {
			t.Fatalf("show contact: %+v, %+v", resp, e.fake.Calls())
		}
		_, resp = e.execute(teamsfake.AliceID, "show_contact", liiss, nil)
		if !strings.Contains(fmt.Sprint(resp.Value), "Only the owner of case") {
			t.Fatalf("show contact of a colleague's case: %+v", resp)
		}

		// "assign CASE @Liis" by a manager, from the mention entity.
		e.fake.Reset()
		msg := e.fake.Fixture("message-channel-mention")
		msg["from"] = map[string]any{"id": mariID, "name": "Mari"}
		msg["text"] = fmt.Sprintf("<at>OpsBot</at> assign %d <at>Liis Tamm</at>\n", jaans)
		msg["entities"] = []any{
			map[string]any{"type": "mention", "mentioned": map[string]any{"id": teamsfake.BotID, "name": "OpsBot"}, "text": "<at>OpsBot</at>"},
			map[string]any{"type": "mention", "mentioned": map[string]any{"id": liisID, "name": "Liis Tamm"}, "text": "<at>Liis Tamm</at>"},
		}
		if rec := e.post(msg); rec.Code != 200 {
			t.Fatalf("command: %d", rec.Code)
		}
		if c := e.caseOf(jaans); c.Owner != "liis@example.com" {
			t.Fatalf("after assign by mention: owner %s", c.Owner)
		}
		answers := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool {
			return c.Method == "POST" && c.Conversation == msg["conversation"].(map[string]any)["id"]
		})
		if len(answers) != 1 || !strings.Contains(teamsfake.TextOf(answers[0]), "is now assigned to liis@example.com.") {
			t.Fatalf("want the answer in the thread, got %+v", e.fake.Calls())
		}

		// Unknown commands get the help; "team" tells whether Teams is connected.
		e.fake.Reset()
		msg["id"], msg["text"] = "1767781812999", "<at>OpsBot</at> frobnicate"
		msg["entities"] = msg["entities"].([]any)[:1]
		e.post(msg)
		msg["id"], msg["text"] = "1767781813000", "<at>OpsBot</at> team"
		e.post(msg)
		texts := []string{}
		for _, c := range e.fake.Calls() {
			texts = append(texts, teamsfake.TextOf(c))
		}
		all := strings.ReplaceAll(strings.Join(texts, "\n"), "\\", "")
		if !strings.Contains(all, "Commands:") || !strings.Contains(all, "cards go to Feedback in team Platform Ops (connected)") {
			t.Fatalf("help and team status: %s", all)
		}
	})
}

func TestTeamsAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		act := e.fake.Fixture("message-channel-mention")
		act["text"] = "<at>OpsBot</at> help"
		claims := func(edit func(jwt.MapClaims)) string {
			c := e.fake.Claims()
			edit(c)
			return e.fake.Sign(c)
		}
		rogue, _ := rsa.GenerateKey(rand.Reader, 2048)
		now := e.clock.Now()
		tests := []struct {
			name  string
			token string
			prep  func()
		}{
			{"no token", "", nil},
			{"wrong issuer", claims(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/x/" }), nil},
			{"wrong audience", claims(func(c jwt.MapClaims) { c["aud"] = "another-app" }), nil},
			{"expired", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-6 * time.Minute).Unix() }), nil},
			{"not yet valid", claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(6 * time.Minute).Unix() }), nil},
			{"serviceurl mismatch", claims(func(c jwt.MapClaims) { c["serviceurl"] = "https://evil.example/emea/" }), nil},
			{"no serviceurl", claims(func(c jwt.MapClaims) { delete(c, "serviceurl") }), nil},
			{"alg none", teamsfake.SignWith(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, teamsfake.KeyID, e.fake.Claims()), nil},
			{"HS256", teamsfake.SignWith(jwt.SigningMethodHS256, []byte("secret"), teamsfake.KeyID, e.fake.Claims()), nil},
			{"no kid", teamsfake.SignWith(jwt.SigningMethodRS256, e.fake.Key, "", e.fake.Claims()), nil},
			{"unknown kid", teamsfake.SignWith(jwt.SigningMethodRS256, rogue, "rotated", e.fake.Claims()), nil},
			{"garbage", "not.a.jwt", nil},
		}
		for _, tt := range tests {
			if rec := e.postWith(act, tt.token); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", tt.name, rec.Code)
			}
		}
		assertNothing := func(when string) {
			t.Helper()
			var events, refs int64
			s.DB().Model(&models.ProcessedEvent{}).Count(&events)
			s.DB().Model(&models.Conversation{}).Count(&refs)
			if events != 0 || refs != 0 || len(e.fake.Calls()) != 0 || e.fake.TokenRequests() != 0 {
				t.Fatalf("%s: a rejected activity was processed: %d events, %d references, %d calls", when, events, refs, len(e.fake.Calls()))
			}
		}
		assertNothing("bad tokens")
		if n := e.fake.KeyFetches(); n != 1 {
			t.Errorf("key fetches after the bad tokens: %d, want 1", n)
		}

		// An unknown kid fetches the keys again, once, after MinKeyRefresh.
		e.clock.Advance(teams.MinKeyRefresh + time.Second)
		for i := 0; i < 3; i++ {
			if rec := e.postWith(act, teamsfake.SignWith(jwt.SigningMethodRS256, rogue, "rotated", e.fake.Claims())); rec.Code != 401 {
				t.Fatalf("unknown kid after refresh: %d", rec.Code)
			}
		}
		if n := e.fake.KeyFetches(); n != 2 {
			t.Errorf("key fetches after unknown kids: %d, want 2", n)
		}
		// A key not endorsed for the channel is refused.
		act["channelId"] = "skype"
		if rec := e.post(act); rec.Code != 401 {
			t.Errorf("missing endorsement: %d", rec.Code)
		}
		act["channelId"] = "msteams"
		assertNothing("unknown kid and endorsement")

		// An activity over the body limit is refused as too large, even
		// with a valid token, and nothing of it is kept.
		big := maps.Clone(act)
		big["id"], big["text"] = "1767781899999", "<at>OpsBot</at> note 1 "+strings.Repeat("x", httpio.MaxBodyBytes)
		if rec := e.post(big); rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "larger than") {
			t.Errorf("oversized activity: %d %s, want 413", rec.Code, rec.Body)
		}
		assertNothing("an oversized activity")

		// Valid tokens pass; 100 requests fetch the keys no more.
		for i := 0; i < 100; i++ {
			act["id"] = fmt.Sprintf("typing-%d", i)
			act["type"] = "typing"
			if rec := e.post(act); rec.Code != 200 {
				t.Fatalf("valid request %d: %d %s", i, rec.Code, rec.Body)
			}
		}
		if n := e.fake.KeyFetches(); n != 2 {
			t.Errorf("key fetches after 100 valid requests: %d, want still 2", n)
		}
		act["type"], act["id"] = "message", "1767781812345"
		if rec := e.post(act); rec.Code != 200 {
			t.Fatalf("valid command: %d", rec.Code)
		}
		if calls := e.fake.Calls(); len(calls) == 0 || !strings.Contains(teamsfake.TextOf(calls[len(calls)-1]), "Commands:") {
			t.Errorf("help answer: %+v", calls)
		}
	})
}

func TestTeamsKeysFetchedOnceConcurrently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		done := make(chan int, 20)
		for i := 0; i < 20; i++ {
			go func() {
				act := e.fake.Fixture("message-channel-mention")
				act["type"], act["id"] = "typing", fmt.Sprintf("t-%d", i)
				done <- e.post(act).Code
			}()
		}
		for i := 0; i < 20; i++ {
			if code := <-done; code != 200 {
				t.Errorf("concurrent request: %d", code)
			}
		}
		if n := e.fake.KeyFetches(); n != 1 {
			t.Errorf("key fetches: %d, want 1", n)
		}
	})
}

func TestTeamsDeliveryFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		e.deliver() // the welcome

		// A 429 with Retry-After is RateLimited for that long.
		caseID := e.detractor("r1", "slow")
		e.fake.FailConnector(teamsfake.Failure{Status: 429, RetryAfter: "7"})
		card := bot.Card{CaseID: caseID, TeamID: "cc", State: models.StateAssigned}
		_, err := e.msgr.PostCard(e.ctx, teamsfake.ChannelID, card)
		var de *bot.DeliveryError
		if !errors.As(err, &de) || de.Class != bot.RateLimited || de.RetryAfter != 7*time.Second {
			t.Fatalf("429: %#v", err)
		}
		// Through the worker: the card waits 7 s, then lands; nothing is lost.
		e.fake.Reset()
		e.fake.FailConnector(teamsfake.Failure{Status: 429, RetryAfter: "7"})
		e.deliver()
		if posts := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return isChannelPost(c) && c.Status == 201 }); len(posts) != 0 {
			t.Fatalf("posted despite the 429: %+v", posts)
		}
		e.clock.Advance(7 * time.Second)
		e.deliver()
		if posts := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return isChannelPost(c) && c.Status == 201 }); len(posts) != 1 {
			t.Fatalf("after the wait: %+v", e.fake.Calls())
		}

		// A failing token endpoint is Transient, never a panic; the message
		// is delivered once the endpoint answers again.
		conn := teams.NewConnector(teams.ConnectorConfig{AppID: teamsfake.AppID, AppPassword: teamsfake.Password,
			TokenURL: e.fake.TokenURL(), Now: e.clock.Now})
		msgr := teams.NewMessenger(conn, s, e.p)
		e.fake.FailToken(teamsfake.Failure{Status: 500})
		if _, err := msgr.PostText(e.ctx, teamsfake.ChannelID, "hello"); !errors.As(err, &de) || de.Class != bot.Transient {
			t.Fatalf("token 500: %#v", err)
		}
		down := teams.NewConnector(teams.ConnectorConfig{AppID: teamsfake.AppID, AppPassword: teamsfake.Password,
			TokenURL: "http://127.0.0.1:1/token", Now: e.clock.Now})
		if _, err := teams.NewMessenger(down, s, e.p).PostText(e.ctx, teamsfake.ChannelID, "hello"); !errors.As(err, &de) || de.Class != bot.Transient {
			t.Fatalf("token endpoint down: %#v", err)
		}
		e.d.Messengers["teams"] = msgr
		second := e.detractor("r2", "fees")
		e.fake.Reset()
		e.fake.FailToken(teamsfake.Failure{Status: 503}, teamsfake.Failure{Status: 503})
		e.deliver()
		if _, err := s.CardRef(e.ctx, second, "teams", teamsfake.ChannelID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("card posted without a token? %v", err)
		}
		for i := 0; i < 6; i++ {
			e.clock.Advance(10 * time.Minute)
			e.deliver()
		}
		if _, err := s.CardRef(e.ctx, second, "teams", teamsfake.ChannelID); err != nil {
			t.Fatalf("card never delivered after the token endpoint recovered: %v (%+v)", err, e.fake.Calls())
		}
		counts, _ := s.OutboxCounts(e.ctx)
		if counts[models.OutboxPending] != 0 || counts[models.OutboxFailed] != 0 {
			t.Errorf("outbox after recovery: %v", counts)
		}
	})
}
