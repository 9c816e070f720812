package slackapp_test

import (
	"strings"
	"testing"

	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/handlers/internal/apptest"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

// A team configured in Estonian, Polish or Russian reads nothing in English
// through a case's whole life on Slack: the card, a refusal, take, thank,
// show contact, resolve into the backlog, reopen, and the backlog's changes
// down to the DMs and the announcement.
func TestWholeTeamInLanguageOnSlack(t *testing.T) {
	for _, lang := range []string{"et", "pl", "ru"} {
		t.Run(lang, func(t *testing.T) {
			phrases := apptest.EnglishPhrases(lang)
			if len(phrases) < 100 {
				t.Fatalf("only %d English phrases", len(phrases))
			}
			storetest.Each(t, func(t *testing.T, s *models.Store) {
				h := newSlackHarness(t, s)
				h.pol.Language = lang
				yes := true
				cc := h.ingest(models.ResponseInput{ExternalID: "d1", Score: 2, Comment: "Kõne ei tulnud",
					Customer: models.Customer{ID: "k-1", Name: "Kadri Kask", Email: "kadri@example.com", Phone: "+372 5555 0101", ContactOK: &yes}})[0].CaseID
				h.deliver()
				ts := h.cardTS(cc, "C0CONTACT")

				h.serve(h.press("U0OUTSIDER", "case.take", cc, "C0CONTACT", ts)) // refused
				h.serve(h.press("U0LIIS", "case.take", cc, "C0CONTACT", ts))     // refused: jaan's
				h.serve(h.press("U0JAAN", "case.take", cc, "C0CONTACT", ts))     // refused: already his
				h.serve(h.press("U0JAAN", "case.show_contact", cc, "C0CONTACT", ts))
				h.serve(h.press("U0LIIS", "case.show_contact", cc, "C0CONTACT", ts)) // refused

				h.serve(h.press("U0JAAN", "case.thank", cc, "C0CONTACT", ts))
				_, view := h.openedView()
				h.serve(h.submitView("U0JAAN", cxslack.ModalThank, view["private_metadata"].(string), map[string]map[string]any{
					"method": {"method_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "call"}}}}))
				h.deliver()

				h.serve(h.press("U0JAAN", "case.resolve", cc, "C0CONTACT", ts))
				_, view = h.openedView()
				meta := view["private_metadata"].(string)
				h.serve(h.submitView("U0JAAN", cxslack.ModalResolve, meta, map[string]map[string]any{ // no note: refused on the field
					"root_cause": {"root_cause_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "process"}}},
					"note":       {"note_input": map[string]any{"type": "plain_text_input", "value": " "}}}))
				h.serve(h.submitView("U0JAAN", cxslack.ModalResolve, meta, map[string]map[string]any{
					"root_cause": {"root_cause_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "process"}}},
					"note":       {"note_input": map[string]any{"type": "plain_text_input", "value": "Helistasin"}},
					"systemic":   {"systemic_check": map[string]any{"type": "checkboxes", "selected_options": []any{map[string]any{"value": "systemic"}}}}}))
				h.deliver()
				if got := h.caseOf(cc); got.State != models.StateResolved || got.ImprovementID == nil {
					t.Fatalf("after resolve: %+v", got)
				}
				h.serve(h.press("U0JAAN", "case.reopen", cc, "C0CONTACT", ts)) // refused: a member
				h.serve(h.press("U0MARI", "case.reopen", cc, "C0CONTACT", ts))
				h.deliver()
				h.serve(h.press("U0MARI", "case.reopen", cc, "C0CONTACT", ts)) // refused: not closed
				if _, err := s.Act(h.ctx, h.pol, h.clock.Now(), cc, "jaan@example.com",
					models.Op{Kind: models.OpResolve, RootCause: "process", Note: "Helistasin", Systemic: true}); err != nil {
					t.Fatal(err)
				}
				h.deliver()

				item := *h.caseOf(cc).ImprovementID
				h.slash("U0JAAN", "backlog")
				h.slash("U0MARI", "backlog")
				h.serve(h.press("U0JAAN", cxslack.ActionItemTake, item, "C0CONTACT", "1790000000.000100")) // refused
				h.serve(h.press("U0MARI", cxslack.ActionItemTake, item, "C0CONTACT", "1790000000.000100"))
				h.serve(h.press("U0MARI", cxslack.ActionItemStatus, item, "C0CONTACT", "1790000000.000100"))
				_, view = h.openedView()
				h.serve(h.submitView("U0MARI", cxslack.ModalItemStatus, view["private_metadata"].(string), map[string]map[string]any{
					"item_status": {"item_status_select": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": models.ImprovementDone}}}}))
				h.deliver()
				if it := h.item(item); it.Status != models.ImprovementDone {
					t.Fatalf("item %+v", it)
				}
				h.serve(h.press("U0MARI", cxslack.ActionItemStatus, item, "C0CONTACT", "1790000000.000100")) // done: no form

				var texts []string
				for _, c := range h.fake.Calls("") {
					if c.Method == "users.info" || c.Method == "users.lookupByEmail" || c.Method == "conversations.open" {
						continue
					}
					texts = append(texts, callTexts(c)...)
				}
				if len(texts) < 50 {
					t.Fatalf("only %d texts read", len(texts))
				}
				if found := apptest.EnglishIn(phrases, texts); len(found) > 0 {
					t.Errorf("a %s team reads English on Slack:\n%s", lang, strings.Join(found, "\n"))
				}
			})
		})
	}
}
