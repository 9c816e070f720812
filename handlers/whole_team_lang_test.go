package handlers_test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/cxloop/cxloop/bot/l10n"
	cxslack "github.com/cxloop/cxloop/bot/slack"
	"github.com/cxloop/cxloop/bot/teams/teamsfake"
	"github.com/cxloop/cxloop/handlers/teamsapp"
	"github.com/cxloop/cxloop/models"
	"github.com/cxloop/cxloop/models/storetest"
)

var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// englishPhrases are the runs of at least three words between the
// placeholders of the English catalog, the ones a reader of lang should
// never see: a run lang's own catalog also has (a product or setting name)
// is left out.
func englishPhrases(lang string) []string {
	c := l10n.Default()
	var own strings.Builder
	for _, m := range c.Messages[lang] {
		for _, text := range l10n.Forms(m) {
			own.WriteString(placeholder.ReplaceAllString(text, "\x00") + "\x00")
		}
	}
	seen := map[string]bool{}
	for _, m := range c.Messages[models.LangEnglish] {
		for _, text := range l10n.Forms(m) {
			for _, run := range strings.Split(placeholder.ReplaceAllString(text, "\x00"), "\x00") {
				run = strings.Map(func(r rune) rune {
					if strings.ContainsRune("*_`\n", r) {
						return ' '
					}
					return r
				}, run)
				run = strings.Join(strings.Fields(run), " ")
				run = strings.TrimFunc(run, func(r rune) bool { return !unicode.IsLetter(r) })
				words := 0
				for _, w := range strings.Fields(run) {
					if len(w) > 1 && strings.IndexFunc(w, unicode.IsLetter) >= 0 {
						words++
					}
				}
				if words >= 3 && !strings.Contains(own.String(), run) {
					seen[run] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// englishIn lists the English phrases found in what people read.
func englishIn(phrases []string, texts []string) []string {
	all := strings.Join(texts, "\n")
	// Slack and Teams escape; the reader sees the characters.
	all = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "\\n", "\n").Replace(all)
	all = strings.Join(strings.Fields(strings.NewReplacer("*", " ", "_", " ", "`", " ").Replace(all)), " ")
	var found []string
	for _, p := range phrases {
		if strings.Contains(all, p) {
			found = append(found, p)
		}
	}
	return found
}

// A team configured in Estonian, Polish or Russian reads nothing in English
// through a case's whole life on Slack: the card, a refusal, take, thank,
// show contact, resolve into the backlog, reopen, and the backlog's changes
// down to the DMs and the announcement.
func TestWholeTeamInLanguageOnSlack(t *testing.T) {
	for _, lang := range []string{"et", "pl", "ru"} {
		t.Run(lang, func(t *testing.T) {
			phrases := englishPhrases(lang)
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
				if found := englishIn(phrases, texts); len(found) > 0 {
					t.Errorf("a %s team reads English on Slack:\n%s", lang, strings.Join(found, "\n"))
				}
			})
		})
	}
}

// The same on Teams, each person's client set to the language.
func TestWholeTeamInLanguageOnTeams(t *testing.T) {
	for _, lang := range []string{"et", "pl", "ru"} {
		t.Run(lang, func(t *testing.T) {
			phrases := englishPhrases(lang)
			storetest.Each(t, func(t *testing.T, s *models.Store) {
				e := newTeamsEnv(t, s)
				e.p.Language = lang
				e.install()
				caseID := e.detractor("r1", "Kõne ei tulnud")
				e.deliver()
				var answers []string
				press := func(from string, data map[string]any) {
					t.Helper()
					resp := e.invokeIn(lang, from, data)
					answers = append(answers, fmt.Sprint(resp.Value))
					if card, ok := resp.Value.(map[string]any); ok {
						answers = append(answers, cardText(card))
					}
				}
				c := map[string]any{"caseId": caseID}
				with := func(verb string, kv ...string) map[string]any {
					m := map[string]any{"verb": verb}
					for k, v := range c {
						m[k] = v
					}
					for i := 0; i+1 < len(kv); i += 2 {
						m[kv[i]] = kv[i+1]
					}
					return m
				}
				press(liisID, with("take"))            // refused: jaan's
				press(teamsfake.AliceID, with("take")) // refused: already his
				press(teamsfake.AliceID, with("showContact"))
				press(liisID, with("showContact")) // refused
				press(teamsfake.AliceID, with("thank", "method", "call", "thankNote", "Vabandasin"))
				press(teamsfake.AliceID, with("resolve", "rootCause", "process", "resolution", " "))
				press(teamsfake.AliceID, with("resolve", "rootCause", "process", "resolution", "Helistasin", "systemic", "true"))
				press(teamsfake.AliceID, with("reopen")) // refused: a member
				press(mariID, with("reopen"))
				press(mariID, with("reopen")) // refused: not closed
				press(mariID, with("nonsense"))
				e.deliver()
				if _, err := s.Act(e.ctx, e.p, e.clock.Now(), caseID, "jaan@example.com",
					models.Op{Kind: models.OpResolve, RootCause: "process", Note: "Helistasin", Systemic: true}); err != nil {
					t.Fatal(err)
				}
				item := *e.caseOf(caseID).ImprovementID
				press(teamsfake.AliceID, map[string]any{"verb": "item.take", "itemId": item}) // refused
				press(mariID, map[string]any{"verb": "item.take", "itemId": item})
				press(mariID, map[string]any{"verb": "item.status", "itemId": item, fmt.Sprintf("itemStatus%d", item): "in_progress"})
				press(mariID, map[string]any{"verb": "item.status", "itemId": item, fmt.Sprintf("itemStatus%d", item): "in_progress"}) // refused
				// Someone the roster does not know writes to the bot.
				msg := e.fake.Fixture("message-channel-mention")
				msg["id"], msg["text"], msg["locale"] = "1767781900999", "<at>OpsBot</at> mine", lang
				msg["from"] = map[string]any{"id": "29:nobody"}
				msg["entities"] = msg["entities"].([]any)[:1]
				e.post(msg)
				e.deliver()

				texts := answers
				for _, call := range e.fake.Calls() {
					texts = append(texts, teamsfake.TextOf(call))
					if card := teamsfake.CardOf(call); card != nil {
						texts = append(texts, cardText(card))
					}
				}
				if found := englishIn(phrases, texts); len(found) > 0 {
					t.Errorf("a %s team reads English on Teams:\n%s", lang, strings.Join(found, "\n"))
				}
			})
		})
	}
}

// invokeIn presses a card button from a Teams client set to locale; data
// is the action's data with its verb.
func (e *teamsEnv) invokeIn(locale, from string, data map[string]any) teamsapp.InvokeResponse {
	e.t.Helper()
	verb, _ := data["verb"].(string)
	return e.invokeOK(locale, from, verb, data)
}
