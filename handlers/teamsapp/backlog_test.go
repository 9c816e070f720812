package teamsapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cxloop/cxloop/bot/email/smtptest"
	"github.com/cxloop/cxloop/handlers/teamsapp"

	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// systemicItem opens a detractor case, resolves it as a systemic issue and
// returns the improvement item it joined.
func (e *teamsEnv) systemicItem(id string) int64 {
	e.t.Helper()
	c := e.caseOf(e.detractor(id, "the app logs me out"))
	if _, err := e.s.Act(e.ctx, e.p, e.clock.Now(), c.ID, c.Owner,
		models.Op{Kind: models.OpResolve, RootCause: "product", Note: "explained", Systemic: true}); err != nil {
		e.t.Fatal(err)
	}
	items, err := e.s.Improvements(e.ctx, models.ImprovementFilter{})
	if err != nil || len(items) == 0 {
		e.t.Fatalf("no improvement item: %v", err)
	}
	return items[0].ID
}

// executeItem presses a backlog card button from the fixture's client.
func (e *teamsEnv) executeItem(from, verb string, itemID int64, inputs map[string]any) teamsapp.InvokeResponse {
	e.t.Helper()
	return e.executeItemIn("", from, verb, itemID, inputs)
}

// mention says text to the bot in the channel as from and returns what the
// bot posted.
func (e *teamsEnv) mention(from, id, text string) []teamsfake.Call {
	e.t.Helper()
	e.fake.Reset()
	msg := e.fake.Fixture("message-channel-mention")
	msg["id"], msg["text"] = id, "<at>OpsBot</at> "+text
	msg["from"] = map[string]any{"id": from}
	msg["entities"] = msg["entities"].([]any)[:1]
	if rec := e.post(msg); rec.Code != 200 {
		e.t.Fatalf("%s: %d", text, rec.Code)
	}
	return e.fake.Calls()
}

func TestTeamsBacklogCard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		item := e.systemicItem("tb-1")
		e.deliver()

		// The manager's card carries the item's actions.
		calls := e.mention(mariID, "1767781900101", "backlog")
		if len(calls) != 1 || !strings.Contains(cardsOf(calls[0]), `"verb":"item.take"`) || !strings.Contains(cardsOf(calls[0]), `"verb":"item.rename"`) {
			t.Fatalf("manager's backlog answer: %+v", calls)
		}
		// A member's card has none.
		calls = e.mention(teamsfake.AliceID, "1767781900102", "backlog")
		if len(calls) != 1 || !strings.Contains(cardsOf(calls[0]), "Improvement backlog") || strings.Contains(cardsOf(calls[0]), "item.") {
			t.Fatalf("member's backlog answer: %+v", calls)
		}
		// A forged action from the member is refused and changes nothing.
		resp := e.executeItem(teamsfake.AliceID, "item.take", item, nil)
		if resp.Type != teamsapp.InvokeMessage || !strings.Contains(fmt.Sprint(resp.Value), "admins and team managers") {
			t.Fatalf("member's take: %+v", resp)
		}
		if it, _ := s.Improvement(e.ctx, item); it.Owner == "jaan@example.com" {
			t.Fatal("a member took an item")
		}

		for _, step := range []struct {
			verb   string
			inputs map[string]any
			check  func(models.ImprovementSummary) bool
			notice string
		}{
			{"item.take", nil, func(it models.ImprovementSummary) bool { return it.Owner == "mari@example.com" }, "You now own improvement"},
			{"item.status", map[string]any{fmt.Sprintf("itemStatus%d", item): "in_progress"},
				func(it models.ImprovementSummary) bool { return it.Status == models.ImprovementInProgress }, "is now in progress"},
			{"item.rename", map[string]any{fmt.Sprintf("itemTitle%d", item): "Keep people logged in"},
				func(it models.ImprovementSummary) bool { return it.Title == "Keep people logged in" }, "is now called"},
		} {
			resp := e.executeItem(mariID, step.verb, item, step.inputs)
			card := cardText(asCard(t, resp))
			if resp.Type != teamsapp.InvokeCard || !strings.Contains(card, step.notice) || !strings.Contains(card, "Improvement backlog") {
				t.Fatalf("%s answer: %+v", step.verb, resp)
			}
			if it, _ := s.Improvement(e.ctx, item); !step.check(it) {
				t.Fatalf("%s did not change the item: %+v", step.verb, it)
			}
		}
	})
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

// asCard is the card an invoke answered.
func asCard(t *testing.T, resp teamsapp.InvokeResponse) map[string]any {
	t.Helper()
	card, ok := resp.Value.(map[string]any)
	if !ok {
		t.Fatalf("not a card: %+v", resp)
	}
	return card
}

// cardsOf is the JSON of the attachments a call posted.
func cardsOf(c teamsfake.Call) string {
	act := c.Body
	if a, ok := c.Body["activity"].(map[string]any); ok {
		act = a
	}
	b, _ := json.Marshal(act["attachments"])
	return string(b)
}

// Marking an item done from the Teams card first shows the fix_done texts;
// what the manager confirms is what the customers get.
func TestTeamsFixDoneConfirmedInTheCard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		srv := e.withEmail()
		e.install()
		yes := true
		in := models.ResponseInput{Source: "web", ExternalID: "fd1", Metric: "nps", Score: 2, Comment: "järjekord", Language: "et",
			Customer: models.Customer{ID: "c-fd1", Name: "Õie", Email: "oie@example.com", ContactOK: &yes}}
		in.Normalize(e.clock.Now())
		res, err := s.Ingest(e.ctx, e.p, e.clock.Now(), []models.ResponseInput{in}, models.IngestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c := e.caseOf(res[0].CaseID)
		if _, err := s.Act(e.ctx, e.p, e.clock.Now(), c.ID, c.Owner,
			models.Op{Kind: models.OpResolve, RootCause: "process", Note: "explained", Systemic: true}); err != nil {
			t.Fatal(err)
		}
		e.deliver()
		items, _ := s.Improvements(e.ctx, models.ImprovementFilter{})
		item := items[0].ID
		status := fmt.Sprintf("itemStatus%d", item)

		resp := e.executeItem(mariID, "item.status", item, map[string]any{status: "done"})
		form := cardText(asCard(t, resp))
		if !strings.Contains(form, `"id":"fix_done_et"`) || !strings.Contains(form, "Email to 1 customer in Estonian") || !strings.Contains(form, `"emailReviewed":"true"`) {
			t.Fatalf("want the Estonian fix_done text to confirm:\n%s", form)
		}
		if it, _ := s.Improvement(e.ctx, item); it.Status == models.ImprovementDone {
			t.Fatal("done before the text was confirmed")
		}
		edited := "Tere, {{.CustomerName}}!\n\nJärjekorda enam pole: helistame ise tagasi.\n\n{{.OwnerName}}"
		resp = e.executeItem(mariID, "item.status", item, map[string]any{status: "done", "emailReviewed": "true", "fix_done_et": edited})
		if resp.Type != teamsapp.InvokeCard || !strings.Contains(cardText(asCard(t, resp)), "is done") {
			t.Fatalf("done answered %+v", resp)
		}
		if it, _ := s.Improvement(e.ctx, item); it.Status != models.ImprovementDone {
			t.Fatalf("item %s", it.Status)
		}
		e.deliver()
		ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
		defer cancel()
		msgs, err := srv.Wait(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := smtptest.Parse(msgs[0].Data)
		if want := "Tere, Õie!\n\nJärjekorda enam pole: helistame ise tagasi.\n\n" + models.PersonName(c.Owner); msgs[0].To[0] != "oie@example.com" || p.Text != want {
			t.Errorf("to %v:\n%q\nwant\n%q", msgs[0].To, p.Text, want)
		}
	})
}

func TestTeamsMineListsThePersonsOpenCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		e := newTeamsEnv(t, s)
		e.install()
		var jaans, others []int64
		for i := 0; i < 4; i++ {
			id := e.detractor(fmt.Sprintf("m-%d", i), fmt.Sprintf("comment %d", i))
			if e.caseOf(id).Owner == "jaan@example.com" {
				jaans = append(jaans, id)
			} else {
				others = append(others, id)
			}
		}
		if len(jaans) != 2 || len(others) != 2 {
			t.Fatalf("round robin gave jaan %v, others %v", jaans, others)
		}
		// A resolved case of jaan's is not open.
		if _, err := s.Act(e.ctx, e.p, e.clock.Now(), jaans[1], "jaan@example.com",
			models.Op{Kind: models.OpResolve, RootCause: "process", Note: "explained"}); err != nil {
			t.Fatal(err)
		}
		e.deliver()
		calls := e.mention(teamsfake.AliceID, "1767781900201", "mine")
		if len(calls) != 1 {
			t.Fatalf("want one card, got %+v", calls)
		}
		card := cardsOf(calls[0])
		for _, want := range []string{"Your open cases", fmt.Sprintf("Case #%d", jaans[0]), "comment", `"verb":"thank"`} {
			if !strings.Contains(card, want) {
				t.Errorf("mine lacks %q:\n%s", want, card)
			}
		}
		for _, id := range append(others, jaans[1]) {
			if strings.Contains(card, fmt.Sprintf("Case #%d ", id)) || strings.Contains(card, fmt.Sprintf(`"caseId":%d,`, id)) {
				t.Errorf("mine lists case #%d, not jaan's open one:\n%s", id, card)
			}
		}
	})
}
