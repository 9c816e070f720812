package teamsapp_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

const eveID = "29:eve-teams-id" // in the tenant's roster, in no team of the configuration

// cardVerbs are the verbs of the buttons a person can press on a card (the
// refresh action is not a button).
func cardVerbs(card map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if t, _ := x["type"].(string); t == "Action.Execute" {
				out = append(out, fmt.Sprint(x["verb"]))
			}
			for k, e := range x {
				if k != "refresh" && k != "fallback" {
					walk(e)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	return out
}

func refreshUserIDs(card map[string]any) []string {
	r, _ := card["refresh"].(map[string]any)
	ids, _ := r["userIds"].([]any)
	var out []string
	for _, id := range ids {
		out = append(out, fmt.Sprint(id))
	}
	return out
}

func TestTeamsCardRefreshedPerViewer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.fake.SetMembers(
			teamsfake.Member{ID: teamsfake.AliceID, Name: "Jaan Tamm", AADObjectID: "6b4b2c1e-3f7a-4d2b-9c10-2a5e8f0d1b77", Email: "Jaan@example.com"},
			teamsfake.Member{ID: liisID, Name: "Liis", AADObjectID: "aad-liis", UPN: "liis@example.com"},
			teamsfake.Member{ID: mariID, Name: "Mari", AADObjectID: "aad-mari", Email: "mari@example.com"},
			teamsfake.Member{ID: eveID, Name: "Eve", AADObjectID: "aad-eve", Email: "eve@example.com"},
		)
		e.install()
		caseID := e.detractor("r1", "Waited 40 minutes.")
		if got := e.caseOf(caseID); got.Owner != "jaan@example.com" {
			t.Fatalf("round robin gave the case to %q", got.Owner)
		}
		e.fake.Reset()
		e.deliver()
		posts := callsWhere(e.fake.Calls(), isChannelPost)
		if len(posts) != 1 {
			t.Fatalf("want one card in the channel, got %+v", e.fake.Calls())
		}
		card := teamsfake.CardOf(posts[0])

		// The channel card is refreshed for the team's people, and shows the
		// buttons a member may use, without the managers' Assign.
		ids := refreshUserIDs(card)
		for _, id := range []string{teamsfake.AliceID, liisID, mariID} {
			if !slices.Contains(ids, id) {
				t.Errorf("refresh.userIds %v lacks %s", ids, id)
			}
		}
		if slices.Contains(ids, eveID) {
			t.Errorf("refresh.userIds %v holds someone outside the team", ids)
		}
		r, _ := card["refresh"].(map[string]any)
		act, _ := r["action"].(map[string]any)
		if act["type"] != "Action.Execute" || act["verb"] != "refreshCase" {
			t.Fatalf("refresh action: %v", r)
		}
		if v := cardVerbs(card); slices.Contains(v, "assign") || !slices.Contains(v, "thank") || !slices.Contains(v, "resolve") {
			t.Errorf("channel card buttons %v: want the owner's thank and resolve, no assign", v)
		}

		for _, tt := range []struct {
			name      string
			from      string
			want, not []string
		}{
			{"owner, a member", teamsfake.AliceID, []string{"thank", "resolve", "no_contact", "show_contact"}, []string{"assign", "reopen"}},
			{"another member", liisID, nil, []string{"assign", "thank", "resolve", "show_contact"}},
			{"manager", mariID, []string{"assign", "thank", "resolve", "show_contact"}, nil},
			{"outsider in the tenant", eveID, nil, []string{"assign", "thank", "resolve", "no_contact", "show_contact", "take"}},
			{"unknown account", "29:stranger", nil, []string{"assign", "thank", "resolve", "no_contact", "show_contact", "take"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				rec, resp := e.execute(tt.from, "refreshCase", caseID, nil)
				view, _ := resp.Value.(map[string]any)
				if rec.Code != 200 || resp.Type != "application/vnd.microsoft.card.adaptive" || view == nil {
					t.Fatalf("refresh: %d %s", rec.Code, rec.Body)
				}
				verbs := cardVerbs(view)
				for _, v := range tt.want {
					if !slices.Contains(verbs, v) {
						t.Errorf("buttons %v lack %s", verbs, v)
					}
				}
				for _, v := range tt.not {
					if slices.Contains(verbs, v) {
						t.Errorf("buttons %v offer %s", verbs, v)
					}
				}
				if tt.want == nil && tt.from != liisID && len(verbs) != 0 {
					t.Errorf("read-only view has buttons %v", verbs)
				}
				if view["refresh"] == nil {
					t.Errorf("the refreshed card is no longer refreshable")
				}
			})
		}
		if got := e.caseOf(caseID); got.State != models.StateAssigned || got.Owner != "jaan@example.com" {
			t.Fatalf("refreshing changed the case: %+v", got)
		}
	})
}

// Teams refreshes a card for at most 5 people: a larger team lists its
// managers first, then the owner.
func TestTeamsCardRefreshListCapped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		members := []teamsfake.Member{
			{ID: teamsfake.AliceID, Name: "Jaan Tamm", Email: "jaan@example.com"},
			{ID: mariID, Name: "Mari", Email: "mari@example.com"},
		}
		team := &e.p.Teams[0]
		for i := range 6 {
			email := fmt.Sprintf("m%d@example.com", i)
			team.Members = append(team.Members, email)
			members = append(members, teamsfake.Member{ID: fmt.Sprintf("29:m%d", i), Name: fmt.Sprintf("M%d", i), Email: email})
		}
		e.fake.SetMembers(members...)
		e.install()
		e.detractor("r1", "slow")
		e.fake.Reset()
		e.deliver()
		posts := callsWhere(e.fake.Calls(), isChannelPost)
		if len(posts) != 1 {
			t.Fatalf("want one card in the channel, got %+v", e.fake.Calls())
		}
		ids := refreshUserIDs(teamsfake.CardOf(posts[0]))
		if len(ids) != 5 || ids[0] != mariID || ids[1] != teamsfake.AliceID {
			t.Fatalf("refresh.userIds %v: want 5, the manager then the owner first", ids)
		}
	})
}

// The owner's DM copy of the card follows the case, as the channel's does:
// a change is a PUT at the DM's own activity id, in the owner's view.
func TestTeamsDMCardUpdatedInPlace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		caseID := e.detractor("r1", "Waited 40 minutes.")
		e.fake.Reset()
		e.deliver()
		chat := "a:personal-" + teamsfake.AliceID
		dms := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Method == "POST" && c.Conversation == chat })
		if len(dms) != 1 || teamsfake.CardOf(dms[0]) == nil || dms[0].Answered == "" {
			t.Fatalf("want one card in the owner's DM, got %+v", e.fake.Calls())
		}
		dmID := dms[0].Answered

		_, resp := e.execute(teamsfake.AliceID, "thank", caseID, map[string]any{"method": "call", "thankNote": "apologised"})
		if resp.Type != "application/vnd.microsoft.card.adaptive" {
			t.Fatalf("thank: %+v", resp)
		}
		e.fake.Reset()
		e.deliver()
		puts := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Method == "PUT" && c.Conversation == chat })
		if len(puts) != 1 || puts[0].Activity != dmID {
			t.Fatalf("want the DM card updated by PUT at %s/%s, got %+v", chat, dmID, e.fake.Calls())
		}
		card := teamsfake.CardOf(puts[0])
		verbs := cardVerbs(card)
		if !strings.Contains(cardText(card), "Thanked") || slices.Contains(verbs, "thank") || !slices.Contains(verbs, "resolve") || slices.Contains(verbs, "assign") {
			t.Fatalf("the DM copy does not show the thanked case in the owner's view (buttons %v): %s", verbs, cardText(card))
		}
		if n := len(callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Method == "POST" && c.Conversation == chat })); n != 0 {
			t.Errorf("the owner got %d new DMs instead of the update", n)
		}

		// Reassigned by the manager: the new owner is told, and the old
		// owner's copy shows that the case is no longer theirs.
		_, resp = e.execute(mariID, "assign", caseID, map[string]any{"assignee": "liis@example.com"})
		if resp.Type != "application/vnd.microsoft.card.adaptive" {
			t.Fatalf("assign: %+v", resp)
		}
		e.fake.Reset()
		e.deliver()
		puts = callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool { return c.Method == "PUT" && c.Conversation == chat })
		if len(puts) != 1 || puts[0].Activity != dmID || !strings.Contains(cardText(teamsfake.CardOf(puts[0])), "Liis") ||
			len(cardVerbs(teamsfake.CardOf(puts[0]))) != 0 {
			t.Fatalf("the old owner's copy after the reassignment: %+v", puts)
		}
	})
}

// The manager's assign form lists the team's people by their roster names:
// nobody else from the tenant's roster, no raw emails.
func TestTeamsAssigneesNamedFromRoster(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.fake.SetMembers(
			teamsfake.Member{ID: teamsfake.AliceID, Name: "Jaan Tamm", Email: "Jaan@example.com"},
			teamsfake.Member{ID: liisID, Name: "Liis Lepp", UPN: "liis@example.com"},
			teamsfake.Member{ID: mariID, Name: "Mari Maasikas", Email: "mari@example.com"},
			teamsfake.Member{ID: eveID, Name: "Eve", Email: "eve@example.com"},
		)
		e.install()
		caseID := e.detractor("r1", "slow")
		e.deliver()
		_, resp := e.execute(mariID, "refreshCase", caseID, nil)
		form := formInputs(t, resp.Value.(map[string]any), "assign")
		choice := form["assignee"]
		if choice["style"] != "filtered" {
			t.Errorf("the person list is %v, not filtered", choice["style"])
		}
		var got []string
		for _, ch := range choice["choices"].([]any) {
			m := ch.(map[string]any)
			got = append(got, fmt.Sprintf("%v=%v", m["title"], m["value"]))
		}
		want := []string{"Jaan Tamm=jaan@example.com", "Liis Lepp=liis@example.com", "Mari Maasikas=mari@example.com"}
		if !slices.Equal(got, want) {
			t.Fatalf("assignees %v, want %v", got, want)
		}
		// The owner is named as the roster names them too.
		if !strings.Contains(cardText(resp.Value.(map[string]any)), `"text":"Jaan Tamm"`) {
			t.Errorf("owner not named from the roster: %s", cardText(resp.Value.(map[string]any)))
		}
	})
}

// A promoter's praise reaches the kudos channel as a card that mentions
// the employee by their roster name, through the delivery worker.
func TestTeamsKudosMentionsEmployee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.p.KudosDestinations = []models.Destination{{Transport: "teams", Channel: teamsfake.TeamID}}
		e.install()
		e.deliver() // the welcome
		in := models.ResponseInput{Source: "web", ExternalID: "p1", Metric: "nps", Score: 10, Touchpoint: "branch",
			Comment: "Jaan sorted it in five minutes! **thanks**", Attributes: map[string]string{"employee_email": "jaan@example.com"},
			Customer: models.Customer{ID: "c-p1"}}
		in.Normalize(e.clock.Now())
		if _, err := s.Ingest(e.ctx, e.p, e.clock.Now(), []models.ResponseInput{in}, models.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
		e.fake.Reset()
		e.deliver()
		posts := callsWhere(e.fake.Calls(), func(c teamsfake.Call) bool {
			cd, _ := c.Body["channelData"].(map[string]any)
			ch, _ := cd["channel"].(map[string]any)
			return c.Method == "POST" && c.Path == "/v3/conversations" && ch["id"] == teamsfake.TeamID
		})
		if len(posts) != 1 {
			t.Fatalf("want one kudos post, got %+v", e.fake.Calls())
		}
		card := teamsfake.CardOf(posts[0])
		if card == nil {
			t.Fatalf("kudos is not a card: %+v", posts[0].Body)
		}
		js := cardText(card)
		ms, _ := card["msteams"].(map[string]any)
		ents, _ := ms["entities"].([]any)
		if len(ents) != 1 {
			t.Fatalf("no mention: %s", js)
		}
		ent := ents[0].(map[string]any)
		mentioned := ent["mentioned"].(map[string]any)
		if ent["text"] != "<at>Jaan Tamm</at>" || mentioned["id"] != teamsfake.AliceID || mentioned["name"] != "Jaan Tamm" ||
			!strings.Contains(js, `"text":"Thanks go to \u003cat\u003eJaan Tamm\u003c/at\u003e."`) {
			t.Errorf("the employee is not mentioned by name: %s", js)
		}
		if strings.Contains(js, "jaan@example.com") || strings.Contains(js, `"\u003e `) || strings.Contains(js, `\\`) {
			t.Errorf("an email, a quote marker or an escape in the kudos card: %s", js)
		}
		if !strings.Contains(js, `"text":"Jaan sorted it in five minutes! **thanks**","type":"TextRun"`) {
			t.Errorf("the customer's words are not shown as written: %s", js)
		}
	})
}

// The read-only card has no "full comment" button; one forged from outside
// the team is refused and the comment goes nowhere.
func TestTeamsFullCommentOnlyForTheTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.fake.SetMembers(
			teamsfake.Member{ID: teamsfake.AliceID, Name: "Jaan Tamm", Email: "jaan@example.com"},
			teamsfake.Member{ID: eveID, Name: "Eve", Email: "eve@example.com"},
		)
		e.install()
		caseID := e.detractor("r1", "SECRET-WORDS of the customer")
		e.deliver()
		for _, from := range []string{eveID, "29:stranger"} {
			e.fake.Reset()
			_, resp := e.execute(from, "full_comment", caseID, nil)
			if resp.Type != "application/vnd.microsoft.activity.message" || !strings.Contains(fmt.Sprint(resp.Value), "Only the people of Contact Center") {
				t.Errorf("%s: full comment answered %+v", from, resp)
			}
			for _, c := range e.fake.Calls() {
				if strings.Contains(cardText(c.Body), "SECRET-WORDS") {
					t.Errorf("%s: the comment was sent: %+v", from, c)
				}
			}
		}
		e.fake.Reset()
		if _, resp := e.execute(teamsfake.AliceID, "full_comment", caseID, nil); !strings.Contains(fmt.Sprint(resp.Value), "private chat") {
			t.Errorf("the owner's full comment: %+v", resp)
		}
	})
}
