package teams_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/cxloop/cxloop/bot/l10n"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot"
	"github.com/cxloop/cxloop/bot/teams"
	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/models"
)

var t0 = time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)

func TestTokenCachedAndRefreshedEarly(t *testing.T) {
	clock := models.NewFixedClock(t0)
	fake := teamsfake.New(t, clock.Now)
	conn := teams.NewConnector(teams.ConnectorConfig{AppID: teamsfake.AppID, AppPassword: teamsfake.Password, TokenURL: fake.TokenURL(), Now: clock.Now})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := conn.Token(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := fake.TokenRequests(); n != 1 {
		t.Fatalf("token requests: %d, want 1", n)
	}
	clock.Advance(time.Hour - teams.TokenRefreshMargin - time.Second)
	_, _ = conn.Token(ctx)
	if n := fake.TokenRequests(); n != 1 {
		t.Fatalf("refreshed too early: %d requests", n)
	}
	clock.Advance(2 * time.Second)
	_, _ = conn.Token(ctx)
	if n := fake.TokenRequests(); n != 2 {
		t.Fatalf("not refreshed %s before expiry: %d requests", teams.TokenRefreshMargin, n)
	}
}

func TestTokenFailuresNeverPanic(t *testing.T) {
	clock := models.NewFixedClock(t0)
	fake := teamsfake.New(t, clock.Now)
	tests := []struct {
		name  string
		fail  *teamsfake.Failure
		url   string
		class bot.ErrorClass
		after time.Duration
	}{
		{"500", &teamsfake.Failure{Status: 500}, "", bot.Transient, 0},
		{"bad secret", &teamsfake.Failure{Status: 401}, "", bot.Transient, 0},
		{"429", &teamsfake.Failure{Status: 429, RetryAfter: "30"}, "", bot.RateLimited, 30 * time.Second},
		{"unreachable", nil, "http://127.0.0.1:1/token", bot.Transient, 0},
		{"not json", nil, fake.Server.URL + "/v1/.well-known/nothing", bot.Transient, 0},
	}
	for _, tt := range tests {
		url := tt.url
		if url == "" {
			url = fake.TokenURL()
		}
		if tt.fail != nil {
			fake.FailToken(*tt.fail)
		}
		conn := teams.NewConnector(teams.ConnectorConfig{AppID: teamsfake.AppID, AppPassword: teamsfake.Password, TokenURL: url, Now: clock.Now})
		_, err := conn.SendToConversation(context.Background(), fake.ServiceURL(), "a:x", teams.Activity{Type: "message", Text: "hi"})
		var de *bot.DeliveryError
		if !errors.As(err, &de) || de.Class != tt.class || de.RetryAfter != tt.after {
			t.Errorf("%s: %#v", tt.name, err)
		}
	}
}

func TestConnectorErrorClasses(t *testing.T) {
	clock := models.NewFixedClock(t0)
	fake := teamsfake.New(t, clock.Now)
	conn := teams.NewConnector(teams.ConnectorConfig{AppID: teamsfake.AppID, AppPassword: teamsfake.Password, TokenURL: fake.TokenURL(), Now: clock.Now})
	tests := []struct {
		fail  teamsfake.Failure
		class bot.ErrorClass
		after time.Duration
	}{
		{teamsfake.Failure{Status: 429, RetryAfter: "3"}, bot.RateLimited, 3 * time.Second},
		{teamsfake.Failure{Status: 429}, bot.RateLimited, teams.DefaultRetryAfter},
		{teamsfake.Failure{Status: 429, RetryAfter: t0.Add(90 * time.Second).Format(http.TimeFormat)}, bot.RateLimited, 90 * time.Second},
		{teamsfake.Failure{Status: 500}, bot.Transient, 0},
		{teamsfake.Failure{Status: 502}, bot.Transient, 0},
		{teamsfake.Failure{Status: 412}, bot.Transient, 0},
		{teamsfake.Failure{Status: 400}, bot.Permanent, 0},
		{teamsfake.Failure{Status: 403}, bot.Permanent, 0},
		{teamsfake.Failure{Status: 404}, bot.Permanent, 0},
		{teamsfake.Failure{Status: 413}, bot.Permanent, 0},
	}
	for _, tt := range tests {
		fake.FailConnector(tt.fail)
		_, err := conn.SendToConversation(context.Background(), fake.ServiceURL(), "a:x", teams.Activity{Type: "message", Text: "hi"})
		var de *bot.DeliveryError
		if !errors.As(err, &de) || de.Class != tt.class || de.RetryAfter != tt.after {
			t.Errorf("status %d: %#v", tt.fail.Status, err)
		}
	}
	id, err := conn.SendToConversation(context.Background(), fake.ServiceURL(), "19:abc@thread.tacv2;messageid=1", teams.Activity{Type: "message", Text: "hi"})
	if err != nil || id == "" {
		t.Fatalf("send: %q %v", id, err)
	}
	calls := fake.Calls()
	if last := calls[len(calls)-1]; last.Conversation != "19:abc@thread.tacv2;messageid=1" {
		t.Errorf("conversation id not round-tripped: %+v", last)
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "t", "expires_in": 3600})
			return
		}
		<-release
	}))
	defer slow.Close()
	defer close(release)
	conn := teams.NewConnector(teams.ConnectorConfig{AppID: "a", AppPassword: "p", TokenURL: slow.URL + "/token", Timeout: 50 * time.Millisecond})
	_, err := conn.SendToConversation(context.Background(), slow.URL, "a:x", teams.Activity{Type: "message"})
	if class, _ := bot.ClassOf(err); err == nil || class != bot.Transient {
		t.Fatalf("timeout: %v", err)
	}
}

func TestValidatorRefusesEmptyAppID(t *testing.T) {
	if _, err := teams.NewValidator("", "http://127.0.0.1:1/meta"); err == nil {
		t.Fatal("an empty app id must not make a validator")
	}
	var c teams.Credentials
	if c.IsAuthenticationDisabled() {
		t.Fatal("authentication can never be disabled")
	}
}

func TestKeysFetchedOnceAndOneFetchInFlight(t *testing.T) {
	clock := models.NewFixedClock(t0)
	fake := teamsfake.New(t, clock.Now)
	// The metadata answer is held until the first request is in: callers
	// arriving meanwhile must wait for that one fetch, not start their own.
	var inflight, most atomic.Int64
	entered, release := make(chan struct{}, 1), make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		http.Redirect(w, r, fake.MetadataURL(), http.StatusTemporaryRedirect)
	}))
	defer gate.Close()
	go func() {
		<-entered
		close(release)
	}()
	v, err := teams.NewValidator(teamsfake.AppID, gate.URL, teams.WithValidatorClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	tok := fake.Sign(fake.Claims())
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Validate(context.Background(), "Bearer "+tok, fake.ServiceURL(), "msteams"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if v.KeyFetches() != 1 || fake.KeyFetches() != 1 || most.Load() != 1 {
		t.Fatalf("fetches %d (fake %d), most in flight %d", v.KeyFetches(), fake.KeyFetches(), most.Load())
	}
	// Stale keys are fetched again after KeyCacheTTL.
	clock.Advance(teams.KeyCacheTTL + time.Minute)
	if _, err := v.Validate(context.Background(), "Bearer "+fake.Sign(fake.Claims()), fake.ServiceURL(), "msteams"); err != nil {
		t.Fatal(err)
	}
	if fake.KeyFetches() != 2 {
		t.Fatalf("stale keys not refreshed: %d fetches", fake.KeyFetches())
	}
}

func TestEscapeMarkdown(t *testing.T) {
	// shown is what a client displays: character references decoded, the
	// invisible word joiner gone.
	shown := func(s string) string { return strings.ReplaceAll(html.UnescapeString(s), "\u2060", "") }
	tests := []struct {
		name, in string
		same     bool     // cxloop's own sentences pass unchanged
		never    []string // markup that must not survive
	}{
		{"heading of a DM", "Case #42 · Detractor NPS 2 · Contact Center", true, nil},
		{"state label", "Open — no owner · OVERDUE", true, nil},
		{"digest note", l10n.T("en", "report.post.chart_omitted"), true, nil},
		{"sentence", "Thanks (really!) - see you in 2 weeks.", true, nil},
		{"link", "Call me [here](https://evil.example)", false, []string{"[here]", "]("}},
		{"mention and html", "<at>General</at> & <b>x</b>", false, []string{"<at>", "<b>", " & "}},
		{"emphasis and code", "**now** _x_ ~~y~~ `code`", false, []string{"**", "_x_", "~~", "`"}},
		{"heading", "# Hacked", false, []string{"# "}},
		{"list", "- one\n+ two\n 3. three", false, []string{"- ", "+ ", "3. "}},
		{"quote", "> quoted", false, []string{"> "}},
		{"date function", "{{DATE(2026-01-01T00:00:00Z, SHORT)}}", false, []string{"{{"}},
		{"backslash", `\*not bold\*`, false, []string{`\*`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := teams.EscapeMarkdown(tt.in)
			if tt.same && got != tt.in {
				t.Errorf("own text changed: %q → %q", tt.in, got)
			}
			if strings.Count(got, `\`) > strings.Count(tt.in, `\`) {
				t.Errorf("backslashes added, which Teams on Android shows: %q", got)
			}
			if shown(got) != tt.in {
				t.Errorf("shows %q, not %q", shown(got), tt.in)
			}
			for _, bad := range tt.never {
				if strings.Contains(got, bad) {
					t.Errorf("escaped %q still holds %q", got, bad)
				}
			}
		})
	}
	if got := teams.MessageText("a\nb*"); got != "a  \nb&#42;" {
		t.Errorf("MessageText: %q", got)
	}
}

func TestRenderCardLimitsAndInertText(t *testing.T) {
	c := bot.Card{CaseID: 42, Segment: "detractor", Metric: "nps", Score: 1, TeamName: "CC <at>all</at>", State: models.StateAssigned,
		Overdue: true, Owner: "jaan@example.com", Comment: strings.Repeat("[x](https://e.example) ", 5000),
		CustomerName: "**Bold** Name", MaskedEmail: "k***@example.com", ThankYouDue: t0, ResolutionDue: t0.Add(72 * time.Hour),
		Themes: []string{"waiting"}, Actions: bot.ActionsFor(models.StateAssigned, true)}
	for i := 0; i < 100; i++ {
		c.Attributes = append(c.Attributes, bot.Attribute{Name: "attr" + strings.Repeat("x", i), Value: strings.Repeat("v", 300)})
	}
	card := teams.RenderCard(c, teams.RenderOptions{Assignees: []string{"jaan@example.com", "liis@example.com"}, RootCauses: []string{"process"}})
	if n := teams.CardSize(card); n > teams.MaxCardBytes {
		t.Fatalf("card is %d bytes, over %d", n, teams.MaxCardBytes)
	}
	raw, _ := json.Marshal(card)
	s := string(raw)
	if !strings.Contains(s, "OVERDUE") || !strings.Contains(s, `"color":"Attention"`) || !strings.Contains(s, `"version":"1.5"`) {
		t.Errorf("card lacks the overdue marker or version: %.400s", s)
	}
	// Untrusted text appears only in TextRuns, never in a TextBlock.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "TextBlock" {
				txt, _ := x["text"].(string)
				if strings.Contains(txt, "](") || strings.Contains(txt, "<at>") || strings.Contains(txt, "**Bold") {
					t.Errorf("untrusted text in a TextBlock: %q", txt)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var generic any
	_ = json.Unmarshal(raw, &generic)
	walk(generic)
	for _, verb := range []string{`"verb":"thank"`, `"verb":"resolve"`, `"verb":"assign"`, `"verb":"no_contact"`, `"verb":"show_contact"`, `"type":"Action.Submit"`} {
		if !strings.Contains(s, verb) {
			t.Errorf("card lacks %s", verb)
		}
	}
}

func TestInboundFixtures(t *testing.T) {
	in, err := teams.ParseInbound(teamsfake.FixtureBytes("message-channel-mention"))
	if err != nil {
		t.Fatal(err)
	}
	if cmd := in.CommandText(); cmd.Line != "status deploy-42" || len(cmd.People) != 0 {
		t.Errorf("command %+v", cmd)
	}
	if in.ChannelIDOf() != teamsfake.ChannelID || in.TeamID() != teamsfake.TeamID || in.TenantID() != teamsfake.TenantID {
		t.Errorf("ids: %s %s %s", in.ChannelIDOf(), in.TeamID(), in.TenantID())
	}
	up, _ := teams.ParseInbound(teamsfake.FixtureBytes("conversation-update-bot-added-to-team"))
	if ref, ok := up.Reference(); !up.BotAdded() || !ok || ref.ID != teamsfake.TeamID || ref.TeamName != "Platform Ops" {
		t.Errorf("install: added=%t ref=%+v", up.BotAdded(), ref)
	}
	inv, _ := teams.ParseInbound(teamsfake.FixtureBytes("invoke-adaptive-card-action-execute"))
	if _, ok, err := inv.Action(); !ok || err == nil {
		t.Errorf("a foreign card's action has no case id: ok=%t err=%v", ok, err)
	}
	sub, _ := teams.ParseInbound(teamsfake.FixtureBytes("message-adaptive-card-action-submit"))
	if req, ok, _ := sub.Action(); !ok || req.Verb != "approve" || req.Execute {
		t.Errorf("submit: %+v %t", req, ok)
	}
	var resp map[string]any
	_ = json.Unmarshal(teamsfake.FixtureBytes("invoke-response-adaptive-card-action"), &resp)
	if resp["type"] != teams.CardContentType {
		t.Errorf("the invoke response type of the sample is %v", resp["type"])
	}
}
